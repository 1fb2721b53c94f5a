"""Verifying a certificate's proof bundle offline, with nothing but the trusted log key.

Every inclusion proof must lead, under a checkpoint signed by the trusted key, to one and the
same tree; the claims are then recomputed from the proven records (``claims.compute_claims``)
and must equal, field by field, the claims the bundle (and so the certificate) states. The
first difference is named: an altered quantity, beneficiary, proof hash or checkpoint fails.
What a bundle cannot show on its own: that no other record of the log (a later amendment of
an event, say) changes the picture, and where the serial ranges lie; a replay of the whole
log (``verify-bundle`` on an export, or ``verify`` on a copy) shows both.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ledger import canonical
from ledger.certificates.claims import Proven, Refs, compute_claims
from ledger.certificates.issue import FORMAT, checkpoint_claim
from ledger.checkpoint import Checkpoint
from ledger.errors import InvalidInput, VerificationError
from ledger.verifier import verify_inclusion_proof


@dataclass(frozen=True, slots=True)
class VerifiedCertificate:
    """A bundle whose every claim was recomputed from records proven under ``checkpoint``."""

    claims: dict[str, Any]
    checkpoint: Checkpoint
    digest: str
    """SHA-256 (hex) of the bundle's canonical encoding, as printed on the certificate."""


def bundle_digest(document: Mapping[str, Any]) -> str:
    """SHA-256 (hex) of the canonical encoding of a bundle: what the certificate prints."""
    return hashlib.sha256(canonical.encode(dict(document))).hexdigest()


def verify_certificate(
    document: Mapping[str, Any], log_vkey: str | None = None
) -> VerifiedCertificate:
    """Check ``document`` against the trusted ``log_vkey`` (or, without it, its own key).

    Raises ``bad_certificate`` (malformed), ``wrong_log_key``, ``bad_proof``, ``root_mismatch``
    or a signature error (a proof or checkpoint altered), or ``certificate_mismatch`` (a claim
    that the proven records do not support).
    """
    try:
        if document.get("format") != FORMAT:
            raise InvalidInput(f"not a {FORMAT} document", code="bad_certificate")
        own_key = str(document["log_vkey"])
        refs = Refs.from_json(document["refs"])
        stated = document["claims"]
        proofs = list(document["proofs"])
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise InvalidInput(
            f"malformed certificate bundle: {exc!r}", code="bad_certificate"
        ) from exc
    if log_vkey is not None and own_key != log_vkey:
        raise VerificationError(
            f"the bundle is signed by {own_key}, the trusted key is {log_vkey}",
            code="wrong_log_key",
        )
    trusted = log_vkey or own_key
    proven: dict[int, Proven] = {}
    checkpoint: Checkpoint | None = None
    for document_proof in proofs:
        if not isinstance(document_proof, dict):
            raise InvalidInput("an inclusion proof is not an object", code="bad_certificate")
        entry = verify_inclusion_proof(document_proof, trusted)
        if checkpoint is None:
            checkpoint = entry.checkpoint
        elif (entry.checkpoint.size, entry.checkpoint.root) != (checkpoint.size, checkpoint.root):
            raise VerificationError(
                f"entry {entry.index} is proven under tree {entry.checkpoint.size}, the others "
                f"under tree {checkpoint.size}",
                code="certificate_mismatch",
            )
        proven[entry.index] = Proven(entry.index, entry.time_ms, entry.entry)
    if checkpoint is None:
        raise InvalidInput("the bundle proves no record", code="bad_certificate")
    try:
        claims = compute_claims(refs, proven)
    except (KeyError, TypeError, ValueError, IndexError) as exc:
        raise VerificationError(
            f"a proven record does not have the fields its kind needs: {exc!r}",
            code="certificate_mismatch",
        ) from exc
    claims["checkpoint"] = checkpoint_claim(checkpoint)
    difference = first_difference(stated, claims)
    if difference is not None:
        path, said, found = difference
        raise VerificationError(
            f"the certificate states {path} = {said!r}, the proven records give {found!r}",
            code="certificate_mismatch",
            field=path,
            stated=said,
            proven=found,
        )
    return VerifiedCertificate(claims, checkpoint, bundle_digest(document))


def first_difference(stated: Any, proven: Any, path: str = "claims") -> tuple[str, Any, Any] | None:
    """The first place where ``stated`` differs from ``proven``, as (path, stated, proven)."""
    if isinstance(stated, dict) and isinstance(proven, dict):
        for key in sorted(stated.keys() | proven.keys()):
            found = first_difference(stated.get(key), proven.get(key), f"{path}.{key}")
            if found is not None:
                return found
        return None
    if isinstance(stated, list) and isinstance(proven, list) and len(stated) == len(proven):
        for position, (a, b) in enumerate(zip(stated, proven, strict=True)):
            found = first_difference(a, b, f"{path}[{position}]")
            if found is not None:
                return found
        return None
    if type(stated) is not type(proven) or stated != proven:
        return (path, stated, proven)
    return None
