"""Asking one witness to cosign a checkpoint, per C2SP tlog-witness (the log's side).

The client remembers the size the witness last cosigned for the log (its *old size*) and sends
the consistency proof from there. On "409 Conflict" the witness says its size in the body
(``text/x.tlog.size``); the client retries once from that size, so a client that starts from a
wrong guess (0, or a size remembered before a restart) converges in one round trip. The
cosignature returned is checked against the witness's verifier key before it is handed back:
a line from an unknown key is ignored, a bad one is an error.
"""

from __future__ import annotations

from collections.abc import Callable

import httpx

from ledger.checkpoint import Checkpoint
from ledger.cosignature import CosignatureVerifier, verify_cosignature
from ledger.errors import LedgerError, MalformedNote
from ledger.note import Note, NoteSignature
from ledger.witness_state import CONFLICT_CONTENT_TYPE, AddCheckpointRequest
from node.errors import WitnessRefused, WitnessUnavailable

ProofSource = Callable[[int, int], list[bytes]]
"""``proof(old_size, new_size)``: the log's consistency proof between two of its sizes."""

MAX_ATTEMPTS = 3


class WitnessClient:
    """One witness: its submission URL prefix and the key it cosigns with."""

    def __init__(
        self,
        url: str,
        verifier: CosignatureVerifier,
        *,
        http: httpx.Client | None = None,
        timeout: float = 10.0,
        known_size: int = 0,
    ) -> None:
        self.url = url.rstrip("/")
        self.verifier = verifier
        self.known_size = known_size
        """The size this client believes the witness last cosigned for the log."""
        self._http = http if http is not None else httpx.Client(timeout=timeout)
        self._owns_http = http is None

    @property
    def name(self) -> str:
        return self.verifier.name

    def close(self) -> None:
        if self._owns_http:
            self._http.close()

    def cosign(self, note: bytes, proof: ProofSource) -> NoteSignature:
        """The witness's verified cosignature on the log's signed checkpoint ``note``.

        Raises WitnessUnavailable (unreachable, not the protocol), WitnessRefused (an error
        status, including a 409 whose size is beyond this checkpoint: the witness has seen a
        larger tree than the log now offers) or SignatureInvalid (a bad cosignature).
        """
        checkpoint = Checkpoint.from_text(Note.parse(note).text)
        old = self.known_size if self.known_size <= checkpoint.size else 0
        for _ in range(MAX_ATTEMPTS):
            nodes = proof(old, checkpoint.size) if 0 < old < checkpoint.size else []
            body = AddCheckpointRequest(old, tuple(nodes), note).to_bytes()
            response = self._post(body)
            if response.status_code == 200:
                signature = self._cosignature(checkpoint, response.text)
                self.known_size = checkpoint.size
                return signature
            if response.status_code == 409 and _is_size(response):
                witness_size = int(response.text.strip())
                if witness_size > checkpoint.size or witness_size == old:
                    raise WitnessRefused(self.name, 409, f"the witness is at size {witness_size}")
                old = self.known_size = witness_size
                continue
            raise WitnessRefused(self.name, response.status_code, response.text)
        raise WitnessUnavailable(f"witness {self.name} kept answering 409 Conflict")

    def _post(self, body: bytes) -> httpx.Response:
        try:
            return self._http.post(
                f"{self.url}/add-checkpoint",
                content=body,
                headers={"Content-Type": "text/plain; charset=utf-8"},
            )
        except httpx.HTTPError as exc:
            raise WitnessUnavailable(f"witness {self.name} at {self.url}: {exc}") from exc

    def _cosignature(self, checkpoint: Checkpoint, text: str) -> NoteSignature:
        """This witness's cosignature among the response's signature lines, verified."""
        if not text.endswith("\n"):
            raise WitnessUnavailable(f"witness {self.name} answered a body without signature lines")
        mine: NoteSignature | None = None
        for line in text.splitlines(keepends=True):
            try:
                signature = NoteSignature.parse(line)
            except MalformedNote as exc:
                raise WitnessUnavailable(
                    f"witness {self.name} answered a malformed line: {exc.message}"
                ) from exc
            if (signature.name, signature.key_hash) == (
                self.verifier.name,
                self.verifier.key_hash,
            ):
                verify_cosignature(checkpoint, signature, self.verifier)
                mine = signature
        if mine is None:
            raise WitnessUnavailable(f"witness {self.name} answered no cosignature from its key")
        return mine


def _is_size(response: httpx.Response) -> bool:
    media = response.headers.get("content-type", "").split(";")[0].strip()
    text = response.text
    return media == CONFLICT_CONTENT_TYPE and text.endswith("\n") and text[:-1].isdigit()


def cosign_all(
    note: bytes, witnesses: list[WitnessClient], proof: ProofSource
) -> tuple[list[tuple[WitnessClient, NoteSignature]], list[tuple[WitnessClient, LedgerError]]]:
    """Ask each witness in turn; return the cosignatures got and the errors met."""
    got: list[tuple[WitnessClient, NoteSignature]] = []
    failed: list[tuple[WitnessClient, LedgerError]] = []
    for witness in witnesses:
        try:
            got.append((witness, witness.cosign(note, proof)))
        except LedgerError as exc:
            failed.append((witness, exc))
    return got, failed
