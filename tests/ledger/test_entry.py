"""Entries and records: the signed message and the entry are cut out of the canonical bytes.

``parse_entry`` takes the payload's bytes from the entry's own (canonical) bytes instead of
encoding the payload again, and ``parse_record`` takes the entry's bytes from the record's: both
must give exactly what encoding the decoded value gives, and refuse what re-encoding refused.
"""

from __future__ import annotations

from typing import Any

import orjson
import pytest

from ledger import canonical
from ledger.entry import (
    ENTRY_DOMAIN,
    build_entry,
    parse_entry,
    parse_record,
    record_bytes,
    signing_message,
)
from ledger.errors import EncodingError, InvalidInput
from ledger.keys import SigningKey

TRICKY_BODY: dict[str, Any] = {
    "note": 'ends like an entry: ,"sigs":[{"key":"k","sig":"AA==","signer":"x"}]}',
    "quote": 'a "quoted" \\ back-slashed \u00e9\u4e2d\n line',
    "rows": [["p1", "metro_ride", "m:1", 10, 1_700_000_000_000, "ab" * 32]] * 3,
    "wide": 2**63 - 1,
}


def signed(body: dict[str, Any], signers: int) -> bytes:
    keys = [(f"p{i}", f"k{i}", SigningKey.from_bytes(bytes([i + 1]) * 32)) for i in range(signers)]
    return build_entry("test.example/log", "record_reductions", "p0", 7, body, keys)


class TestSignedMessage:
    @pytest.mark.parametrize("signers", [1, 2, 4])
    @pytest.mark.parametrize("body", [{}, {"a": 1}, TRICKY_BODY])
    def test_message_is_the_domain_and_the_canonical_payload(
        self, body: dict[str, Any], signers: int
    ) -> None:
        raw = signed(body, signers)
        entry = parse_entry(raw)
        payload = canonical.decode(raw)["payload"]
        assert entry.message == ENTRY_DOMAIN + canonical.encode(payload)
        assert entry.message == signing_message(payload)
        assert entry.body == body

    def test_a_changed_body_changes_the_message(self) -> None:
        raw = signed(TRICKY_BODY, 2)
        changed = raw.replace(b'"wide":9223372036854775807', b'"wide":9223372036854775806')
        assert parse_entry(changed).message != parse_entry(raw).message

    @pytest.mark.parametrize(
        "mangle",
        [
            lambda r: r.replace(b'{"payload":', b'{ "payload":', 1),
            lambda r: r.replace(b',"sigs":', b', "sigs":', 1),
            lambda r: r[:-1] + b" }",
            lambda r: r.replace(b'"wide":9223372036854775807', b'"wide":9223372036854775808'),
        ],
        ids=["space-after-brace", "space-before-sigs", "space-before-end", "wide-integer"],
    )
    def test_non_canonical_entries_are_refused(self, mangle: Any) -> None:
        with pytest.raises(EncodingError):
            parse_entry(mangle(signed(TRICKY_BODY, 2)))


class TestSignatureText:
    """A signature has one base64 text: another one for the same 64 bytes would make another
    entry (another hash) out of the same signed payload."""

    @staticmethod
    def with_sig(raw: bytes, text: str) -> bytes:
        value = canonical.decode(raw)
        value["sigs"][0]["sig"] = text
        return canonical.encode(value)

    def test_the_canonical_text_is_accepted(self) -> None:
        raw = signed({"a": 1}, 1)
        text = canonical.decode(raw)["sigs"][0]["sig"]
        assert parse_entry(self.with_sig(raw, text)).raw == raw

    @pytest.mark.parametrize(
        "recode",
        [
            lambda t: t + "====",  # padding past the end
            lambda t: t[:-3] + chr(ord(t[-3]) + 1) + "==",  # bits set inside the padding
            lambda t: t[:-2],  # padding left out
            lambda t: t[:10] + "\n" + t[10:],  # a line break
        ],
        ids=["extra-padding", "stray-bits", "unpadded", "line-break"],
    )
    def test_other_texts_of_a_signature_are_refused(self, recode: Any) -> None:
        raw = signed({"a": 1}, 1)
        text = canonical.decode(raw)["sigs"][0]["sig"]
        with pytest.raises(InvalidInput, match="base64"):
            parse_entry(self.with_sig(raw, recode(text)))


class TestRecords:
    def test_the_entry_is_cut_out_of_the_record(self) -> None:
        entry_raw = signed(TRICKY_BODY, 2)
        raw = record_bytes(entry_raw, 12, bytes(range(32)), 1_700_000_000_123)
        record = parse_record(raw)
        assert (record.index, record.prev_hash, record.time_ms) == (
            12,
            bytes(range(32)),
            1_700_000_000_123,
        )
        assert record.entry_raw == entry_raw
        assert record.entry_raw == canonical.encode_decoded(canonical.decode(raw)["entry"])
        assert record.raw == raw

    @pytest.mark.parametrize(
        ("name", "value"),
        [
            ("index-as-text", {"index": "12"}),
            ("index-as-boolean", {"index": True}),
            ("time-as-float", {"time": 1.5}),
            ("upper-case-prev", {"prev": bytes(range(32)).hex().upper()}),
            ("short-prev", {"prev": "ab"}),
            ("prev-not-text", {"prev": 5}),
        ],
    )
    def test_wrong_fields_are_refused(self, name: str, value: dict[str, Any]) -> None:
        record: dict[str, Any] = {
            "entry": orjson.loads(signed({"a": 1}, 1)),
            "index": 12,
            "prev": bytes(range(32)).hex(),
            "time": 5,
        }
        record.update(value)
        raw = orjson.dumps(record, option=orjson.OPT_SORT_KEYS)
        if name == "short-prev":
            assert parse_record(raw).prev_hash == b"\xab"  # length is checked by the chain
            return
        with pytest.raises(EncodingError):
            parse_record(raw)

    @pytest.mark.parametrize(
        "mangle",
        [
            lambda r: r.replace(b'{"entry":', b'{"entry": ', 1),
            lambda r: r.replace(b',"index":', b',"index": ', 1),
            lambda r: r[:-1] + b" }",
            lambda r: r.replace(b'"index":12', b'"index":012'),
        ],
        ids=["space-after-entry", "space-after-index", "space-before-end", "leading-zero"],
    )
    def test_non_canonical_records_are_refused(self, mangle: Any) -> None:
        raw = record_bytes(signed({"a": 1}, 1), 12, bytes(32), 5)
        with pytest.raises((EncodingError, InvalidInput)):
            parse_record(mangle(raw))
