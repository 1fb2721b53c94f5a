"""register_methodology: a program's administrator files a methodology with its parameters."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import orjson

from ledger.errors import InvalidInput
from ledger.storage import schema
from tests.builders import PROGRAM, World, sign_any_json

Body = dict[str, Any]
FACTOR = {
    "name": "grid_emission_factor",
    "value": "0.8367",
    "unit": "kgCO2/kWh",
    "source": "Central China grid 2022",
}


def methodology(**change: Any) -> Body:
    return {
        **World.methodology_body(PROGRAM, "shcer01010012024i", "2024.1", parameters=[FACTOR]),
        **change,
    }


class TestRegisterMethodologyAccepted:
    def test_administrator_files_an_active_methodology_with_parameters(self, world: World) -> None:
        event = world.accept("regulator", "register_methodology", methodology())
        assert event.data == {"methodology": "shcer01010012024i:2024.1"}
        row = world.row(schema.methodologies, id="shcer01010012024i:2024.1")
        assert row is not None
        assert (row["program"], row["status"], row["region"]) == (PROGRAM, "active", "CN-GD")
        assert orjson.loads(row["parameters"]) == [FACTOR]

    def test_a_draft_methodology_is_filed_as_draft(self, world: World) -> None:
        world.accept("regulator", "register_methodology", methodology(status="draft"))
        row = world.row(schema.methodologies, id="shcer01010012024i:2024.1")
        assert row is not None and row["status"] == "draft"

    def test_a_new_version_of_a_filed_code_is_a_new_methodology(self, world: World) -> None:
        world.accept("regulator", "register_methodology", methodology())
        world.accept("regulator", "register_methodology", methodology(version="2025.1"))
        assert len(world.rows(schema.methodologies, code="shcer01010012024i")) == 2


class TestRegisterMethodologyRejected:
    def test_filing_by_a_non_administrator_is_rejected(self, world: World) -> None:
        assert world.reject("alice", "register_methodology", methodology()) == "not_authorised"
        assert world.reject("operator", "register_methodology", methodology()) == ("not_authorised")

    def test_unknown_program_is_rejected(self, world: World) -> None:
        code = world.reject("regulator", "register_methodology", methodology(program="NOPE"))
        assert code == "unknown_program"

    def test_duplicate_code_and_version_is_rejected(self, world: World) -> None:
        world.accept("regulator", "register_methodology", methodology())
        assert world.reject("regulator", "register_methodology", methodology()) == (
            "duplicate_methodology"
        )

    def test_parameter_value_as_a_float_is_refused(self, world: World) -> None:
        body = orjson.dumps(
            methodology(parameters=[{**FACTOR, "value": 0.8367}]), option=orjson.OPT_SORT_KEYS
        )
        error = world.reject_raw(
            sign_any_json(world.ledger.origin, "register_methodology", world["regulator"], body)
        )
        assert isinstance(error, InvalidInput)
        assert error.code == "invalid_input"


MALFORMED: dict[str, Callable[[Body], None]] = {
    "parameter-value-integer": lambda b: b.update(parameters=[{**FACTOR, "value": 1}]),
    "parameter-value-not-decimal": lambda b: b.update(parameters=[{**FACTOR, "value": "0,83"}]),
    "parameter-without-source": lambda b: b.update(
        parameters=[{k: v for k, v in FACTOR.items() if k != "source"}]
    ),
    "version-with-space": lambda b: b.update(version="v 1"),
    "unknown-status": lambda b: b.update(status="approved"),
    "region-not-iso": lambda b: b.update(region="Guangdong"),
    "unknown-field": lambda b: b.update(author="x"),
    "missing-title": lambda b: b.pop("title"),
}


def test_every_malformed_methodology_is_invalid_input(world: World) -> None:
    """Each named mutation of a valid body is refused, and changes nothing."""
    for mutation, mutate in MALFORMED.items():
        body = methodology()
        mutate(body)
        assert world.reject("regulator", "register_methodology", body) == "invalid_input", mutation
