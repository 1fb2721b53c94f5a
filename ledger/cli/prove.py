"""``carbonledger prove``: inclusion and consistency proofs, printed and checked.

Each proof is checked before it is printed, the way a third party would: the record is hashed
to its leaf, the proof is run per RFC 9162 (``ledger.merkle.verify``) and, when the tree size
was sealed, the checkpoint's signature is checked against the log's key.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from ledger import queries
from ledger.cli.output import (
    DEFAULT_DB,
    DbOption,
    JsonOption,
    command,
    open_engine,
    print_json,
    show_fields,
)
from ledger.errors import NotFound
from ledger.verifier import make_inclusion_proof

app = typer.Typer(
    help="Prove that an entry is in the log, or that the log only grew.", no_args_is_help=True
)

SizeOption = Annotated[
    int | None, typer.Option("--size", help="Tree size (default: the latest checkpoint).")
]


def _vouched(checkpoint: str | None) -> str:
    return (
        "the log's signed checkpoint"
        if checkpoint is not None
        else "computed from stored hashes (no checkpoint at this size)"
    )


@app.command("inclusion")
@command
def inclusion(
    index: Annotated[int, typer.Argument(help="Log index of the entry.")],
    size: SizeOption = None,
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            "-o",
            help="Also write a portable proof document (needs a sealed size), "
            "checked offline by 'verify-proof'.",
        ),
    ] = None,
    db: DbOption = DEFAULT_DB,
    as_json: JsonOption = False,
) -> None:
    """Prove that entry INDEX is in the tree of --size entries, and check the proof."""
    engine = open_engine(db)
    proof = queries.inclusion_proof(engine, index, size)
    proof.check(queries.ledger_info(engine).log_vkey)
    if out is not None:
        if proof.checkpoint is None:
            raise NotFound(
                f"no checkpoint was sealed at size {proof.size}", code="unknown_checkpoint"
            )
        document = make_inclusion_proof(proof.record, index, proof.proof, proof.checkpoint.encode())
        out.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
    if as_json:
        data = queries.as_json(proof)
        print_json({**data, "record": proof.record.decode(), "verified": True})
        return
    show_fields(
        f"Inclusion of entry {index} in the tree of size {proof.size}",
        [
            ("leaf hash", proof.leaf_hash.hex()),
            *((f"proof[{i}]", h.hex()) for i, h in enumerate(proof.proof)),
            ("root", proof.root.hex()),
            ("root vouched by", _vouched(proof.checkpoint)),
            ("verified", "yes (RFC 9162 inclusion proof checks out)"),
        ],
    )


@app.command("consistency")
@command
def consistency(
    size1: Annotated[int, typer.Argument(help="Older tree size.")],
    size2: Annotated[
        int | None, typer.Argument(help="Newer tree size (default: latest checkpoint).")
    ] = None,
    db: DbOption = DEFAULT_DB,
    as_json: JsonOption = False,
) -> None:
    """Prove that the tree of SIZE2 entries extends the tree of SIZE1, and check the proof."""
    engine = open_engine(db)
    proof = queries.consistency_proof(engine, size1, size2)
    proof.check(queries.ledger_info(engine).log_vkey)
    if as_json:
        print_json({**queries.as_json(proof), "verified": True})
        return
    show_fields(
        f"Consistency of tree {proof.size1} with tree {proof.size2}",
        [
            ("old root", proof.root1.hex()),
            ("old root vouched by", _vouched(proof.checkpoint1)),
            *((f"proof[{i}]", h.hex()) for i, h in enumerate(proof.proof)),
            ("new root", proof.root2.hex()),
            ("new root vouched by", _vouched(proof.checkpoint2)),
            ("verified", "yes (RFC 9162 consistency proof checks out)"),
        ],
    )
