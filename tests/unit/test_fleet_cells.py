"""The pure pieces of several engines in one table (ui/fleet_cells.py)."""

from __future__ import annotations

from rich.text import Text

from arctui.ui.cells import Row
from arctui.ui.fleet_cells import (
    EngineTag,
    engine_cell,
    engine_matches,
    next_filter,
    parse_filter,
    row_key,
    split_key,
    with_engine,
)


def test_row_keys_round_trip_and_one_engine_keys_stay_bare() -> None:
    assert split_key(row_key("prod", "web")) == ("prod", "web")
    assert split_key("web") == (None, "web")
    assert split_key(None) == (None, None)


def test_engine_cell_marks_production_and_stale() -> None:
    assert str(engine_cell(EngineTag("prod", production=True))) == "prod!"
    assert str(engine_cell(EngineTag("stage"))) == "stage"
    assert str(engine_cell(EngineTag("stage", stale="timeout"))) == "stage ~stale"
    row = with_engine(Row("web", (Text("web"),)), EngineTag("e2"))
    assert row.key == row_key("e2", "web") and str(row.cells[0]) == "e2"


def test_engine_filter_word_and_cycle() -> None:
    assert parse_filter("engine:prod web") == ("prod", "web")
    assert parse_filter("web") == (None, "web")
    assert engine_matches("PR", "prod") and not engine_matches("st", "prod")
    names = ["local", "staging", "prod"]
    assert next_filter("web", names) == "engine:local web"
    assert next_filter("engine:local web", names) == "engine:staging web"
    assert next_filter("engine:prod", names) == ""
