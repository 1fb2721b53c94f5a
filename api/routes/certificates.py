"""Certificates of retirement and cancellation: the proof bundle, its HTML and PDF renderings,
and the offline check of a bundle (the same one ``carbonledger verify-certificate`` runs)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Path, Query
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import Engine

from api.deps import TEXT_PATTERN, EngineDep
from api.problems import problem_responses
from api.report_schemas import CertificateVerified
from ledger.certificates.documents import Certificate, make_certificate
from ledger.certificates.html import render_html
from ledger.certificates.pdf import pdf_bytes
from ledger.certificates.qr import DEFAULT_TEMPLATE
from ledger.certificates.verify import verify_certificate

router = APIRouter(prefix="/v1/certificates", tags=["certificates"])

Kind = Literal["retirement", "cancellation"]
Subject = Annotated[
    str,
    Path(
        max_length=500,
        pattern=TEXT_PATTERN,
        description="RET-<n> or EVT-<n> for a retirement certificate; CAN-<n> or a case "
        "number for a cancellation certificate",
    ),
]
TemplateQuery = Annotated[
    str, Query(max_length=500, description="what the QR code holds; see docs/formats.md")
]


def _problems_beside(media_type: str) -> dict[int | str, dict[str, Any]]:
    """The problems of a route whose success is ``media_type``: still problem+json documents
    (FastAPI would otherwise document them in the route's own media type)."""
    problem = {"application/json": {"schema": {"$ref": "#/components/schemas/Problem"}}}
    out = {
        status: {"description": response["description"], "content": problem}
        for status, response in problem_responses(400, 404, 422, 503).items()
    }
    out[200] = {"description": f"the certificate ({media_type})", "content": {media_type: {}}}
    return out


def _make(engine: Engine, kind: Kind, subject: str, template: str) -> Certificate:
    return make_certificate(engine, kind, subject, template=template)


@router.get(
    "/{kind}/{subject}",
    summary="The certificate's proof bundle (carbonledger-certificate/1)",
    responses=problem_responses(400, 404, 422, 503),
)
def bundle(
    engine: EngineDep, kind: Kind, subject: Subject, template: TemplateQuery = DEFAULT_TEMPLATE
) -> dict[str, Any]:
    return _make(engine, kind, subject, template).bundle


@router.get(
    "/{kind}/{subject}/html",
    response_class=HTMLResponse,
    summary="The certificate as an HTML page",
    responses=_problems_beside("text/html"),
)
def html(
    engine: EngineDep, kind: Kind, subject: Subject, template: TemplateQuery = DEFAULT_TEMPLATE
) -> HTMLResponse:
    return HTMLResponse(render_html(_make(engine, kind, subject, template).view))


@router.get(
    "/{kind}/{subject}/pdf",
    response_class=Response,
    summary="The certificate as a PDF",
    responses=_problems_beside("application/pdf"),
)
def pdf(
    engine: EngineDep, kind: Kind, subject: Subject, template: TemplateQuery = DEFAULT_TEMPLATE
) -> Response:
    certificate = _make(engine, kind, subject, template)
    return Response(
        pdf_bytes(certificate.view),
        media_type="application/pdf",
        headers={"Content-Disposition": f'inline; filename="{certificate.claims["id"]}.pdf"'},
    )


@router.post(
    "/verify",
    response_model=CertificateVerified,
    summary="Check a proof bundle against a trusted log key; recompute every claim",
    responses=problem_responses(400, 422),
)
def verify(
    document: Annotated[dict[str, Any], Body(description="the proof bundle")],
    log_vkey: Annotated[str, Query(max_length=500, description="the log key you trust")],
) -> dict[str, Any]:
    verified = verify_certificate(document, log_vkey)
    return {"verified": True, "digest": verified.digest, "claims": verified.claims}
