"""Printing amounts exactly, and turning query results into JSON-ready data.

Amounts are integer grams CO2e and money integer fen (0.01 CNY); the text forms are computed
with integer arithmetic only, so ``5_503_686_000`` g prints as ``5,503.686 t`` and never as a
rounded float.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from ledger.types import GRAMS_PER_TONNE


def format_tonnes(grams: int) -> str:
    """Exact tonnes text for a gram amount: 5_503_686_000 -> ``"5,503.686 t"``, 0 -> ``"0 t"``."""
    whole, frac = divmod(abs(grams), GRAMS_PER_TONNE)
    text = f"{'-' if grams < 0 else ''}{whole:,}"
    if frac:
        text += "." + f"{frac:06d}".rstrip("0")
    return text + " t"


def format_cny(fen: int) -> str:
    """Exact yuan text for an amount in fen: 7_034_400 -> ``"70,344.00 CNY"``."""
    yuan, cents = divmod(abs(fen), 100)
    return f"{'-' if fen < 0 else ''}{yuan:,}.{cents:02d} CNY"


def trade_value_fen(quantity: int, price_fen_per_tonne: int) -> int:
    """What ``quantity`` grams cost at a price per tonne, in fen, rounded half up."""
    return (quantity * price_fen_per_tonne + GRAMS_PER_TONNE // 2) // GRAMS_PER_TONNE


def as_json(value: Any) -> Any:
    """A query result as JSON-ready data: dataclasses to dicts, bytes to hex, tuples to lists."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: as_json(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, bytes):
        return value.hex()
    if isinstance(value, list | tuple):
        return [as_json(v) for v in value]
    if isinstance(value, dict):
        return {k: as_json(v) for k, v in value.items()}
    return value
