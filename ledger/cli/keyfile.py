"""Key files: a participant's signing identity and the log's checkpoint signing key.

A participant key file is JSON ``{"participant", "key_id", "public_key", "seed"}`` with the
32-byte Ed25519 seed and public key in base64. A log key file holds one line, the note signer
key string ``PRIVATE+KEY+<name>+<hash>+<key>`` (``ledger.note``). Both are secrets: they are
created with mode 0600 and never overwritten.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
from pathlib import Path

from ledger.client import Identity
from ledger.errors import InvalidInput
from ledger.keys import SEED_SIZE, SigningKey
from ledger.note import NoteSigner


def write_secret(path: Path, text: str) -> None:
    """Create ``path`` readable by its owner only; refuse to overwrite an existing file."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError as exc:
        raise InvalidInput(
            f"{path} exists; refusing to overwrite a key file", code="file_exists"
        ) from exc
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        out.write(text)
    os.chmod(path, 0o600)  # in case the umask widened it


def identity_json(identity: Identity) -> dict[str, str]:
    return {
        "participant": identity.participant,
        "key_id": identity.key_id,
        "public_key": identity.public_key_b64,
        "seed": base64.b64encode(identity.key.to_bytes()).decode(),
    }


def save_identity(identity: Identity, path: Path) -> None:
    write_secret(path, json.dumps(identity_json(identity), indent=2) + "\n")


def load_identity(path: Path) -> Identity:
    """The identity in a key file, checking that its public key and key id match the seed."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise InvalidInput(f"{path} is not a JSON key file", code="bad_key_file") from exc
    if not isinstance(data, dict) or not all(
        isinstance(data.get(k), str) for k in ("participant", "seed")
    ):
        raise InvalidInput(f"{path} lacks a participant and a seed", code="bad_key_file")
    try:
        seed = base64.b64decode(data["seed"], validate=True)
    except binascii.Error as exc:
        raise InvalidInput(f"{path}: seed is not base64", code="bad_key_file") from exc
    if len(seed) != SEED_SIZE:
        raise InvalidInput(
            f"{path}: seed has {len(seed)} bytes, want {SEED_SIZE}", code="bad_key_file"
        )
    identity = Identity(data["participant"], SigningKey.from_bytes(seed))
    for field, want in (("public_key", identity.public_key_b64), ("key_id", identity.key_id)):
        if field in data and data[field] != want:
            raise InvalidInput(f"{path}: {field} does not match the seed", code="bad_key_file")
    return identity


def save_log_key(signer: NoteSigner, path: Path) -> None:
    write_secret(path, signer.skey() + "\n")


def load_log_key(path: Path) -> NoteSigner:
    return NoteSigner.from_skey(path.read_text(encoding="utf-8").strip())
