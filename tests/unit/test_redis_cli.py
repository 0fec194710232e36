"""`arctui redis` and `arctui redis bigkeys` over the demo Redis: output, escaping, exits."""

from __future__ import annotations

import json

import pytest

from arctui.cli import build_parser, main


@pytest.mark.parametrize(
    ("argv", "as_json", "url"),
    [
        (["redis", "--json", "bigkeys"], True, None),
        (["redis", "bigkeys", "--json"], True, None),
        (["redis", "--url", "redis://h:1/0", "bigkeys"], False, "redis://h:1/0"),
        (["redis", "bigkeys", "--url", "redis://h:2/0"], False, "redis://h:2/0"),
    ],
)
def test_options_before_or_after_the_subcommand(argv, as_json, url) -> None:
    args = build_parser().parse_args(argv)
    assert (args.json, args.url, args.redis_command) == (as_json, url, "bigkeys")


def test_overview_json(capsys) -> None:
    assert main(["--demo", "redis", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["overview"]["version"] == "7.2.4"
    assert data["overview"]["hit_rate"] is not None
    assert data["persistence"]["aof_enabled"] is True
    assert len(data["slowlog"]) == 5


def test_bigkeys_text_is_escaped_and_progress_goes_to_stderr(capsys) -> None:
    assert main(["--demo", "redis", "bigkeys", "--pattern", "import:*"]) == 0
    out, err = capsys.readouterr()
    assert '"import:\\x1b]0;pwned\\a[@click=app.quit]:caf\\xc3\\xa9"' in out
    assert "\x1b" not in out and "\x07" not in out
    assert "scanned 1 of ~" in err and "scanned" not in out.splitlines()[0][:7]


def test_bigkeys_json_top_and_sort(capsys) -> None:
    assert main(["--demo", "redis", "bigkeys", "--json", "--top", "2", "--sort", "elements"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert [k["key"] for k in data["keys"]] == ["cache:report:2026-11", "queue:email:dead"]
    assert data["complete"] and data["scanned"] == data["dbsize"]
    assert {p["prefix"] for p in data["prefixes"]} >= {"session:*", "queue:*"}
