"""The HTML certificate: what it states, escaped, with its QR code."""

from __future__ import annotations

from typing import Any

from ledger.certificates.documents import make_certificate
from ledger.certificates.html import render_html
from tests.builders import World, lots


def retire(world: World, name: str) -> str:
    batch = world.issue(2_000_000)
    body: dict[str, Any] = {"account": "owner", "lots": lots(batch, 1_500_000),
                            "beneficiary": {"name": name}, "purpose": "enterprise_neutrality",
                            "jurisdiction": "CN-GD"}  # fmt: skip
    rid = str(world.accept("owner", "retire", body).data["retirement"])
    world.ledger.seal()
    return rid


class TestHtml:
    def test_states_the_claim_and_embeds_the_qr_code(self, world: World) -> None:
        rid = retire(world, "Acme Co., Ltd.")
        certificate = make_certificate(world.ledger.engine, "retirement", rid)
        page = render_html(certificate.view)
        assert "<h1>Retirement Certificate</h1>" in page
        assert "1.5 t (1,500,000 g)" in page
        assert "enterprise neutrality" in page
        assert certificate.digest in page
        assert page.count("<svg") == 1

    def test_text_from_the_ledger_is_escaped(self, world: World) -> None:
        rid = retire(world, "<script>alert(1)</script> & 公司")
        page = render_html(make_certificate(world.ledger.engine, "retirement", rid).view)
        assert "<script>" not in page
        assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; 公司" in page
