"""A ledger holding the field's two stories, with every key saved, driven by the command line."""

from __future__ import annotations

from pathlib import Path

from ledger.cli.keyfile import save_identity, save_log_key
from tests.builders import World, build_world
from tests.ledger.cli.test_cli import Cli
from tests.stories import Case, Forum, beijing_cbd_forum, zhongshan


class Stories(Cli):
    """A ``Cli`` on a ledger where the forum (``forum``) and the case (``case``) happened."""

    forum: Forum
    case: Case
    log_vkey: str


def stories_cli(url: str, directory: Path, *, donations: int = 5, cancel: bool = True) -> Stories:
    world: World = build_world(url)
    try:
        forum = beijing_cbd_forum(world, donations=donations)
        case = zhongshan(world, cancel=cancel)
        world.ledger.seal()
        log_vkey = world.ledger.log_vkey
    finally:
        world.close()
    for identity in world.ids.values():
        save_identity(identity, directory / f"{identity.participant}.json")
    save_log_key(world.signer, directory / "log.key")
    cli = Stories(url, directory)
    cli.forum, cli.case, cli.log_vkey = forum, case, log_vkey
    return cli
