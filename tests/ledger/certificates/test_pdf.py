"""The PDF certificate: it states the claim, in Latin and Chinese text alike."""

from __future__ import annotations

from pathlib import Path

from ledger.certificates.documents import make_certificate, write_pdf
from tests.builders import World, lots
from tests.text import pdf_text


class TestPdf:
    def test_states_the_claim_in_chinese_and_latin_text(self, world: World, tmp_path: Path) -> None:
        batch = world.issue(5_503_686_000)
        body = {"account": "owner", "lots": lots(batch, 5_503_686_000),
                "beneficiary": {"name": "成都会议 Chengdu conferences"}, "purpose": "personal",
                "jurisdiction": "CN-SC"}  # fmt: skip
        rid = str(world.accept("owner", "retire", body).data["retirement"])
        world.ledger.seal()
        certificate = make_certificate(world.ledger.engine, "retirement", rid)
        path = write_pdf(certificate, tmp_path / "c.pdf")
        assert path.read_bytes().startswith(b"%PDF-")
        text = pdf_text(path)
        assert "5,503.686 t (5,503,686,000 g)" in text
        assert "成都会议 Chengdu conferences" in text
        assert rid in text and batch in text
