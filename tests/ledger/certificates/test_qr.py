"""The QR code and the verification text it holds."""

from __future__ import annotations

import pytest

from ledger.certificates.qr import DEFAULT_TEMPLATE, qr_matrix, qr_svg, verification_text
from ledger.errors import InvalidInput


class TestVerificationText:
    def test_default_names_the_bundle_and_the_log_key(self) -> None:
        text = verification_text(
            DEFAULT_TEMPLATE, bundle="EVT-9.certificate.json", log_vkey="k+1+AQ"
        )
        assert text == "carbonledger verify-certificate EVT-9.certificate.json --log-vkey k+1+AQ"

    def test_a_registry_url_template(self) -> None:
        template = "https://registry.example/verify/{id}?sha256={digest}&size={size}"
        text = verification_text(template, id="RET-4", digest="ab" * 32, size="12")
        assert text == f"https://registry.example/verify/RET-4?sha256={'ab' * 32}&size=12"

    def test_unknown_placeholder_is_refused(self) -> None:
        with pytest.raises(InvalidInput, match="password"):
            verification_text("https://x/{password}")


class TestQrCode:
    def test_matrix_is_square_with_a_quiet_zone(self) -> None:
        matrix = qr_matrix("carbonledger verify-certificate x.json --log-vkey k")
        assert len(matrix) == len(matrix[0]) >= 21 + 8
        assert not any(matrix[0]) and not any(row[0] for row in matrix)
        assert matrix[4][4]  # the top-left finder pattern starts after the quiet zone

    def test_longer_text_needs_a_larger_code(self) -> None:
        assert len(qr_matrix("x" * 300)) > len(qr_matrix("x"))

    def test_svg_draws_every_dark_module(self) -> None:
        matrix = qr_matrix("abc")
        svg = qr_svg("abc", size_px=120)
        assert svg.startswith("<svg") and 'width="120"' in svg
        assert svg.count("h1v1h-1z") == sum(map(sum, matrix))
