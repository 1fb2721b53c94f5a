"""Canonical decoding: exactly one byte string per value, integers within signed 64 bits.

``decode`` proves the integer range with the re-encoding it makes anyway (a 53-bit strict
encoding) and walks the value only when a wider integer is present. These tests hold it to the
plain rule, checked by a reference decoder that always walks the whole value.
"""

from __future__ import annotations

from typing import Any

import orjson
import pytest
from hypothesis import given
from hypothesis import strategies as st

from ledger import canonical
from ledger.errors import EncodingError

INT_MIN, INT_MAX = -(2**63), 2**63 - 1


def reference_decode(data: bytes) -> Any:
    """The rule spelled out: valid JSON, re-encoding gives the same bytes, and every integer
    anywhere is within the signed 64-bit range."""
    try:
        value = orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        raise EncodingError("not JSON") from exc
    if orjson.dumps(value, option=orjson.OPT_SORT_KEYS) != data:
        raise EncodingError("not canonical")

    def walk(item: Any) -> None:
        if isinstance(item, bool):
            return
        if isinstance(item, int):
            if not INT_MIN <= item <= INT_MAX:
                raise EncodingError("integer out of range")
        elif isinstance(item, dict):
            for child in item.values():
                walk(child)
        elif isinstance(item, list):
            for child in item:
                walk(child)

    walk(value)
    return value


def outcome(decoder: Any, data: bytes) -> tuple[str, Any]:
    try:
        return "ok", decoder(data)
    except EncodingError:
        return "refused", None


class TestIntegerRange:
    @pytest.mark.parametrize(
        "text",
        [
            b"9223372036854775807",
            b"-9223372036854775808",
            b"9007199254740991",
            b"9007199254740993",
            b"-9007199254740993",
            b'{"a":[1,[2,{"b":9223372036854775807}]]}',
            b'["12345678901234567890123","x"]',  # a long run of digits inside a string
        ],
    )
    def test_integers_within_64_bits_are_accepted(self, text: bytes) -> None:
        assert canonical.decode(text) == orjson.loads(text)

    @pytest.mark.parametrize(
        "text",
        [
            b"9223372036854775808",
            b"18446744073709551615",
            b"-9223372036854775809",
            b"18446744073709551616",
            b'{"a":[1,[2,{"b":9223372036854775808}]]}',
            b'{"rows":[["p1",1,18446744073709551615]]}',
            b'[9007199254740993,{"x":-9223372036854775809}]',
        ],
    )
    def test_integers_beyond_64_bits_are_refused(self, text: bytes) -> None:
        with pytest.raises(EncodingError):
            canonical.decode(text)

    def test_a_wide_but_valid_integer_deep_in_a_large_value_is_walked(self) -> None:
        rows = [["p1", "metro_ride", "m:1", 10, 1_700_000_000_000, "ab" * 32]] * 2000
        fine = orjson.dumps({"rows": [*rows, [2**62]]}, option=orjson.OPT_SORT_KEYS)
        assert canonical.decode(fine)["rows"][-1] == [2**62]
        bad = fine.replace(str(2**62).encode(), str(2**64 - 1).encode())
        with pytest.raises(EncodingError):
            canonical.decode(bad)


class TestOneByteStringPerValue:
    @pytest.mark.parametrize(
        "text",
        [
            b'{"b":1,"a":2}',
            b'{"a": 1}',
            b" [1]",
            b"[1,2] ",
            b'"\\u0041"',
            b'"\\/"',
            b"1e2",
            b"-0",
            b"01",
            b"[1,]",
            b"\xef\xbb\xbf[1]",
            b'{"a":1,"a":1}',
        ],
    )
    def test_non_canonical_bytes_are_refused(self, text: bytes) -> None:
        with pytest.raises(EncodingError):
            canonical.decode(text)

    def test_floats_survive_and_are_left_to_the_schemas(self) -> None:
        assert canonical.decode(b"[1.5]") == [1.5]


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**65), max_value=2**65)
    | st.sampled_from([INT_MIN, INT_MAX, INT_MIN - 1, INT_MAX + 1, 2**53, -(2**53), 2**64 - 1])
    | st.text(max_size=8),
    lambda children: (
        st.lists(children, max_size=5) | st.dictionaries(st.text(max_size=4), children, max_size=5)
    ),
    max_leaves=25,
)


class TestAgainstTheReference:
    @given(json_values)
    def test_decode_agrees_with_the_reference_on_encoded_values(self, value: Any) -> None:
        try:
            data = orjson.dumps(value, option=orjson.OPT_SORT_KEYS)
        except orjson.JSONEncodeError:
            return  # beyond what JSON encoders write at all (> 64 bits)
        assert outcome(canonical.decode, data) == outcome(reference_decode, data)

    @given(json_values, st.integers(min_value=0, max_value=10_000), st.binary(max_size=3))
    def test_decode_agrees_with_the_reference_on_mangled_bytes(
        self, value: Any, at: int, junk: bytes
    ) -> None:
        try:
            data = orjson.dumps(value, option=orjson.OPT_SORT_KEYS)
        except orjson.JSONEncodeError:
            return
        at %= len(data) + 1
        mangled = data[:at] + junk + data[at:]
        assert outcome(canonical.decode, mangled) == outcome(reference_decode, mangled)
