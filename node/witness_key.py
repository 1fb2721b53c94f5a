"""A witness's cosigning key in a file, and witness verifier keys as configuration strings.

The private key is written like a signed-note signer key (``ledger.note``) but with signature
type 0x04, the C2SP tlog-cosignature Ed25519 type: ``PRIVATE+KEY+<name>+<hex key hash>+
base64(0x04 || 32-byte seed)``, the key hash being SHA-256(name || 0x0A || 0x04 || public
key)[:4]. The matching verifier key, which logs and clients configure to trust the witness, is
``<name>+<hex key hash>+base64(0x04 || public key)`` (``CosignatureVerifier.vkey``).
"""

from __future__ import annotations

from pathlib import Path

from ledger.cli.keyfile import write_secret
from ledger.cosignature import ALG_COSIGNATURE_V1, CosignatureSigner, CosignatureVerifier
from ledger.errors import InvalidInput, MalformedNote
from ledger.keys import SEED_SIZE, SigningKey
from ledger.note import PRIVATE_KEY_PREFIX, b64encode, is_valid_name, strict_b64decode


def witness_skey(signer: CosignatureSigner) -> str:
    """The private key string of ``signer``. Secret."""
    encoded = b64encode(bytes([ALG_COSIGNATURE_V1]) + signer.key.to_bytes())
    return f"{PRIVATE_KEY_PREFIX}{signer.name}+{signer.key_hash.hex()}+{encoded}"


def parse_witness_skey(skey: str) -> CosignatureSigner:
    """The signer in a private key string; InvalidInput unless it is exactly well formed."""
    if not skey.startswith(PRIVATE_KEY_PREFIX):
        raise InvalidInput(f"witness key does not start with {PRIVATE_KEY_PREFIX!r}")
    parts = skey[len(PRIVATE_KEY_PREFIX) :].split("+", 2)
    if len(parts) != 3:
        raise InvalidInput("witness key must be PRIVATE+KEY+<name>+<hash>+<key>")
    name, hash_hex, encoded = parts
    if not is_valid_name(name):
        raise InvalidInput(f"invalid witness name {name!r}")
    try:
        key = strict_b64decode(encoded, "witness key")
    except MalformedNote as exc:
        raise InvalidInput(exc.message) from exc
    if len(key) != 1 + SEED_SIZE or key[0] != ALG_COSIGNATURE_V1:
        raise InvalidInput(
            f"witness key must be signature type 0x04 and a {SEED_SIZE}-byte seed, "
            f"got {len(key)} bytes of type {key[:1].hex() or 'none'}"
        )
    signer = CosignatureSigner(name, SigningKey(key[1:]))
    # The hash is over the public key, so it can only be checked after deriving it.
    if signer.key_hash.hex() != hash_hex:
        raise InvalidInput(f"witness key hash {hash_hex} does not match the key it carries")
    return signer


def create_witness_key(name: str, path: Path) -> CosignatureSigner:
    """Generate a witness key named ``name`` into a new file ``path`` (mode 0600)."""
    if not is_valid_name(name):
        raise InvalidInput(f"{name!r} cannot name a key: no spaces or '+' allowed")
    signer = CosignatureSigner.generate(name)
    write_secret(path, witness_skey(signer) + "\n")
    return signer


def load_witness_key(path: Path) -> CosignatureSigner:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise InvalidInput(f"cannot read witness key {path}: {exc}", code="bad_key_file") from exc
    try:
        return parse_witness_skey(text.strip())
    except InvalidInput as exc:
        raise InvalidInput(f"{path}: {exc.message}", code="bad_key_file") from exc


def parse_witness_vkey(vkey: str) -> CosignatureVerifier:
    """A witness's verifier key from configuration; InvalidInput if it is not one."""
    return CosignatureVerifier.from_vkey(vkey.strip())
