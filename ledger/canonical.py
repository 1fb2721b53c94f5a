"""The canonical byte encoding of everything the ledger signs and hashes.

Encoding (documented in docs/formats.md): UTF-8 JSON with object keys sorted by code point,
no insignificant white space, no floating-point numbers (integers only, within the signed 64-bit
range), ``null`` only where a schema allows it, and strings escaped minimally (``\\"``, ``\\\\``
and control characters only). Decoding re-encodes and compares, so exactly one byte string
represents each value and a signature or hash can never be made to cover two meanings.
"""

from __future__ import annotations

from typing import Any

import orjson

from ledger.errors import EncodingError

_INT_MIN = -(2**63)
_INT_MAX = 2**63 - 1
_SORTED = orjson.OPT_SORT_KEYS
_SORTED_53 = orjson.OPT_SORT_KEYS | orjson.OPT_STRICT_INTEGER
"""Sorted keys, and every integer within +/-(2^53 - 1): far inside the signed 64-bit range."""


def encode(value: Any) -> bytes:
    """Canonical bytes of ``value``: a tree of dicts (str keys), lists, str, int, bool, None."""
    _check(value, "$")
    return orjson.dumps(value, option=_SORTED)


def decode(data: bytes) -> Any:
    """Parse canonical bytes; raise ``EncodingError`` unless ``data`` is exactly canonical.

    A float survives the round trip, so this does not refuse one: the strict message schemas
    that every decoded value goes through refuse floats where a number is expected.
    """
    try:
        value = orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        raise EncodingError(f"not valid JSON: {exc}") from exc
    # orjson reads integers up to 2^64 - 1, which no database column holds. Re-encoding with
    # the 53-bit limit proves in the same pass that every integer is in range; only a value
    # holding a larger integer (a rare, but valid, 64-bit one) is re-encoded again and walked.
    try:
        again = orjson.dumps(value, option=_SORTED_53)
        wide = False
    except orjson.JSONEncodeError:
        again = orjson.dumps(value, option=_SORTED)
        wide = True
    if again != data:
        raise EncodingError(
            "bytes are valid JSON but not in canonical form (sorted keys, no white space)"
        )
    if wide:
        _check_integers(value, "$")
    return value


def encode_decoded(value: Any) -> bytes:
    """Canonical bytes of a value that came out of ``decode`` (already checked)."""
    return orjson.dumps(value, option=_SORTED)


def _check_integers(value: Any, path: str) -> None:
    """Reject integers outside the signed 64-bit range anywhere in ``value``."""
    if isinstance(value, int) and not isinstance(value, bool):
        if not _INT_MIN <= value <= _INT_MAX:
            raise EncodingError(f"integer at {path} is outside the signed 64-bit range")
    elif isinstance(value, dict):
        for key, item in value.items():
            _check_integers(item, f"{path}.{key}")
    elif isinstance(value, list):
        for i, item in enumerate(value):
            _check_integers(item, f"{path}[{i}]")


def _check(value: Any, path: str) -> None:
    """Reject floats, non-string keys and out-of-range integers anywhere in ``value``."""
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return
    if isinstance(value, int):
        if not _INT_MIN <= value <= _INT_MAX:
            raise EncodingError(f"integer at {path} is outside the signed 64-bit range")
        return
    if isinstance(value, float):
        raise EncodingError(f"number at {path} is a float; amounts are whole grams")
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                raise EncodingError(f"object key at {path} is not a string")
            _check(item, f"{path}.{key}")
        return
    if isinstance(value, list | tuple):
        for i, item in enumerate(value):
            _check(item, f"{path}[{i}]")
        return
    raise EncodingError(f"value at {path} has unsupported type {type(value).__name__}")
