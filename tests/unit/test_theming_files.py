"""Theme and keymap files from the operator: size cap, strict YAML, values quoted short."""

from __future__ import annotations

from pathlib import Path

import pytest

from arctui.ui import theming
from arctui.ui.theming import ThemeFileError, check_keymap, load_keymap, theme_from_yaml
from arctui.yamlio import MAX_CONFIG_BYTES


@pytest.fixture
def user_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "cfg"))
    folder = tmp_path / "cfg" / "arctui"
    (folder / "themes").mkdir(parents=True)
    (folder / "keymaps").mkdir(parents=True)
    return folder


def test_a_long_bad_colour_is_quoted_short(tmp_path: Path) -> None:
    # A 1,500-character primary filled 27 notification rows, quoted whole.
    value = "z" * 1500
    path = tmp_path / "long.yaml"
    path.write_text(f"name: long\nprimary: '{value}'\n", encoding="utf-8")
    with pytest.raises(ThemeFileError) as err:
        theme_from_yaml(path)
    message = str(err.value)
    assert "primary" in message and "1,500 characters" in message
    assert value not in message
    assert len(message) < len(str(path)) + 120
    assert "\n" not in message


def test_escapes_in_a_value_are_shown_inert(tmp_path: Path) -> None:
    path = tmp_path / "esc.yaml"
    path.write_text('name: esc\nprimary: "\\e]0;owned\\a"\n', encoding="utf-8")
    with pytest.raises(ThemeFileError) as err:
        theme_from_yaml(path)
    assert "\x1b" not in str(err.value) and "\\x1b]0;owned" in str(err.value)


def test_a_theme_over_the_limit_is_refused_before_parsing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "huge.yaml"
    path.write_text("name: huge\nprimary: '" + "x" * (2 * MAX_CONFIG_BYTES) + "'\n")
    parsed: list[str] = []
    monkeypatch.setattr(theming, "load_config_yaml", lambda text: parsed.append(text))
    with pytest.raises(ThemeFileError, match=r"theme file is 0\.5 MiB: over the 256 KiB limit"):
        theme_from_yaml(path)
    assert parsed == []


def test_a_theme_under_the_limit_still_loads(tmp_path: Path) -> None:
    path = tmp_path / "ok.yaml"
    padding = "#" + "x" * (MAX_CONFIG_BYTES - 200) + "\n"
    path.write_text(f"{padding}name: ok\nprimary: '#4EA1FF'\n", encoding="utf-8")
    assert theme_from_yaml(path).name == "ok"


def test_load_themes_reports_an_oversized_user_theme_in_one_short_line(user_dir: Path) -> None:
    (user_dir / "themes" / "big.yaml").write_text("primary: '" + "x" * 10_000_000 + "'\n")
    themes, errors = theming.load_themes()
    assert themes  # the shipped ones still load
    (line,) = [e for e in errors if "big.yaml" in e]
    assert "over the 256 KiB limit" in line and len(line) < 300


def test_a_keymap_over_the_limit_is_refused(user_dir: Path) -> None:
    path = user_dir / "keymaps" / "mine.yaml"
    path.write_text("bindings:\n  app.quit: q\n" + "#" * (MAX_CONFIG_BYTES + 1) + "\n")
    with pytest.raises(ThemeFileError, match=r"keymap file .* over the 256 KiB limit"):
        load_keymap("mine")


@pytest.mark.parametrize(
    ("kind", "text", "line", "key"),
    [
        ("themes", "name: t\nprimary: '#4EA1FF'\nprimary: '#FF0000'\n", 3, "'primary'"),
        ("keymaps", "bindings:\n  app.quit: q\n  app.help: h\n  app.quit: x\n", 4, "'app.quit'"),
    ],
)
def test_a_key_given_twice_names_the_key_and_line(
    user_dir: Path, kind: str, text: str, line: int, key: str
) -> None:
    path = user_dir / kind / "dup.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ThemeFileError) as err:
        theme_from_yaml(path) if kind == "themes" else load_keymap("dup")
    assert str(err.value).startswith(f"{path}:{line}: duplicate key {key}")


def test_a_file_that_is_not_utf8_is_an_error_not_a_crash(tmp_path: Path) -> None:
    path = tmp_path / "latin.yaml"
    path.write_bytes(b"name: caf\xe9\nprimary: '#4EA1FF'\n")
    with pytest.raises(ThemeFileError, match=r"latin\.yaml"):
        theme_from_yaml(path)


def test_keymap_problems_quote_long_ids_and_keys_short() -> None:
    long_id, long_key = "services." + "x" * 5000, "ctrl+" + "y" * 5000
    usable, problems = check_keymap(
        {long_id: "q", "services.filter": long_key}, {"services.filter"}
    )
    assert usable == {}
    assert len(problems) == 2 and all(len(p) < 200 for p in problems)
    assert problems[1].startswith("services.filter: ")


def test_a_fifo_in_the_themes_folder_is_reported_not_waited_on(user_dir: Path) -> None:
    import os

    os.mkfifo(user_dir / "themes" / "pipe.yaml")
    _, errors = theming.load_themes()  # opening it would block until a writer came
    assert any("pipe.yaml" in e and "not a regular file" in e for e in errors)


def test_a_keymap_of_many_bad_ids_is_summarised_short() -> None:
    from arctui.ui.theming import problem_summary

    keymap = {f"nope.{i}": "z" for i in range(1000)}
    _, problems = check_keymap(keymap, {"services.filter"})
    assert len(problems) == 1000
    summary = problem_summary(problems)
    assert summary.endswith("; and 994 more") and len(summary) < 300
    assert problem_summary(problems[:2]) == "; ".join(problems[:2])
