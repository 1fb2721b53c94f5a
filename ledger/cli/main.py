"""The ``carbonledger`` Typer application: every command, registered in one place.

Commands live in small modules by purpose (``keys``, ``write``, ``shortcuts``, ``read``,
``prove``, ``integrity``, ``demo``); this module only names them. Every command takes ``--db``
(or ``CARBONLEDGER_DB``, default ``sqlite:///carbonledger.db``) where it needs a database and
``--json`` for scripts; a rejected or invalid request exits with status 1, a usage error with 2.
"""

from __future__ import annotations

import typer

from ledger.cli import (
    anchor,
    balances,
    cases,
    certificates,
    credits,
    demo,
    events,
    integrity,
    keys,
    network,
    personal,
    prove,
    prove_entry,
    read,
    reports,
    serve,
    shortcuts,
    write,
)

app = typer.Typer(
    name="carbonledger",
    help="A verifiable ledger for carbon-inclusion reduction credits.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

app.add_typer(keys.app, name="keys")
app.add_typer(prove.app, name="prove")
prove.app.command("entry")(prove_entry.entry)
app.add_typer(events.app, name="event")
app.add_typer(cases.app, name="case")
app.add_typer(reports.app, name="report")
app.add_typer(certificates.app, name="certificate")

_COMMANDS = (
    # creating a ledger and writing to it
    ("init", write.init),
    ("submit", write.submit),
    ("sign", write.sign),
    ("cosign", write.cosign),
    ("submit-file", write.submit_file),
    ("issue", shortcuts.issue),
    ("transfer", shortcuts.transfer),
    ("retire", shortcuts.retire),
    ("cancel", shortcuts.cancel),
    ("pledge", shortcuts.pledge),
    ("release", shortcuts.release),
    ("enforce", shortcuts.enforce),
    # reading
    ("info", read.info),
    ("participants", read.participants),
    ("programs", read.programs),
    ("methodologies", read.methodologies),
    ("projects", read.projects),
    ("batches", credits.batches),
    ("batch", credits.batch),
    ("holdings", credits.holdings),
    ("history", credits.history),
    ("retirements", credits.retirements),
    ("retirement", credits.retirement),
    ("cancellations", credits.cancellations),
    ("cancellation", credits.cancellation),
    ("pledges", credits.pledges),
    ("trades", credits.trades),
    ("entries", read.entries),
    ("entry", read.entry),
    ("checkpoint", read.checkpoint),
    ("seq", read.seq),
    # checking
    ("check", integrity.check),
    ("verify", integrity.verify),
    ("export", integrity.export),
    ("verify-bundle", integrity.verify_bundle),
    ("verify-proof", integrity.verify_proof),
    ("verify-certificate", certificates.verify_certificate_command),
    # the network: the sequencer's HTTP API, another organisation's replica, a witness
    ("serve", serve.serve),
    ("follow", network.follow),
    ("witness", network.witness),
    ("check-evidence", network.check_evidence),
    # public anchoring of checkpoints on an EVM chain
    ("anchor", anchor.anchor),
    ("anchorer", anchor.anchorer),
    ("anchors", anchor.anchors),
    # personal accounts kept by platforms
    ("open-accounts", personal.open_accounts),
    ("record-reductions", personal.record_reductions),
    ("redeem", personal.redeem),
    ("aggregate", personal.aggregate),
    ("revenue-share", personal.revenue_share),
    ("commit-balances", personal.commit_balances),
    ("reconcile", balances.reconcile),
    ("balance-proof", balances.balance_proof),
    ("verify-balance-proof", balances.verify_balance_proof_cmd),
    ("points", balances.points),
    ("custody", balances.custody),
    ("aggregation", balances.aggregation),
    # quick start
    ("demo", demo.demo),
)

for _name, _function in _COMMANDS:
    app.command(_name)(_function)


if __name__ == "__main__":
    app()
