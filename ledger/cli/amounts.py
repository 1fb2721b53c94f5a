"""Parsing the amounts people type: quantities in tonnes or grams, money in yuan, lots.

Everything is exact: text is split into digits and converted with integer arithmetic, so
``5503.686t`` is 5_503_686_000 grams and ``65.88`` CNY is 6_588 fen. Floats, exponents, signs
and more decimals than the unit allows (6 for tonnes, 0 for grams, 2 for yuan) are refused.
"""

from __future__ import annotations

import re
from typing import Any

from ledger.errors import InvalidInput
from ledger.ops.fields import MAX_GRAMS
from ledger.types import GRAMS_PER_TONNE

_QUANTITY = re.compile(r"(?P<whole>\d+)(?:\.(?P<frac>\d+))?\s*(?P<unit>t|g)", re.IGNORECASE)
_MONEY = re.compile(r"(?P<whole>\d+)(?:\.(?P<frac>\d+))?")
_SERIALS = re.compile(r"(?P<start>\d+)-(?P<end>\d+)")

TONNE_DECIMALS = len(str(GRAMS_PER_TONNE)) - 1
"""One gram is a millionth of a tonne: tonnes take at most 6 decimal places."""


def _scaled(whole: str, frac: str | None, decimals: int, what: str, text: str) -> int:
    """``whole.frac`` times 10**decimals, exactly; refuses more than ``decimals`` places."""
    frac = frac or ""
    if len(frac) > decimals:
        raise InvalidInput(
            f"{what} {text!r} has {len(frac)} decimal places, at most {decimals} allowed"
        )
    return int(whole + frac.ljust(decimals, "0"))


def parse_quantity(text: str) -> int:
    """Grams in ``text``: ``1019t``, ``5503.686t``, ``138.25 t`` or ``123g``.

    Requires a unit (t or g) and a positive amount of whole grams. Raises InvalidInput.
    """
    cleaned = text.strip()
    match = _QUANTITY.fullmatch(cleaned)
    if match is None:
        raise InvalidInput(
            f"quantity {text!r} is not an amount like 1019t, 5503.686t or 123g "
            "(digits, an optional decimal point for tonnes, then t or g)"
        )
    decimals = TONNE_DECIMALS if match["unit"].lower() == "t" else 0
    what = "tonnes" if decimals else "grams"
    grams = _scaled(match["whole"], match["frac"], decimals, what, text)
    if grams <= 0:
        raise InvalidInput(f"quantity {text!r} must be more than zero")
    if grams > MAX_GRAMS:
        raise InvalidInput(f"quantity {text!r} exceeds the maximum of {MAX_GRAMS} g")
    return grams


def parse_cny(text: str) -> int:
    """Fen in a yuan amount: ``65.88`` -> 6_588, ``70344`` -> 7_034_400. Raises InvalidInput."""
    cleaned = text.strip().removesuffix("CNY").strip()
    match = _MONEY.fullmatch(cleaned)
    if match is None:
        raise InvalidInput(f"amount {text!r} is not a yuan amount like 70344 or 65.88")
    return _scaled(match["whole"], match["frac"], 2, "yuan amount", text)


def parse_lot(text: str) -> dict[str, Any]:
    """A lot request: ``BATCH=QUANTITY`` (e.g. ``PHCER-2022-000001=1019t``) or an exact serial
    range ``BATCH@START-END`` (half-open). Raises InvalidInput."""
    if "=" in text:
        batch, _, quantity = text.partition("=")
        if not batch:
            raise InvalidInput(f"lot {text!r} names no batch")
        return {"batch": batch, "quantity": parse_quantity(quantity)}
    if "@" in text:
        batch, _, serials = text.partition("@")
        match = _SERIALS.fullmatch(serials)
        if not batch or match is None:
            raise InvalidInput(f"lot {text!r} is not BATCH@START-END")
        return {
            "batch": batch,
            "serial_start": int(match["start"]),
            "serial_end": int(match["end"]),
        }
    raise InvalidInput(f"lot {text!r} is neither BATCH=QUANTITY nor BATCH@START-END")
