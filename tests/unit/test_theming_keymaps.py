"""Keymaps: every shipped one is clean against every binding of every tab; clashes and
unknown ids are reported, never silently resolved."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import pytest

from arctui.ui.theming import (
    binding_classes,
    binding_groups,
    check_keymap,
    is_key_name,
    keymap_clashes,
    keymap_report,
    load_keymap,
)

SHIPPED = sorted(
    Path(str(p)).stem
    for p in resources.files("arctui.keymaps").iterdir()
    if p.name.endswith(".yaml")
)


def test_the_three_keymaps_are_shipped() -> None:
    assert {"default", "vim", "k9s"} <= set(SHIPPED)


@pytest.mark.parametrize("name", SHIPPED)
def test_shipped_keymap_has_no_unknown_id_bad_key_or_clash(name: str) -> None:
    assert keymap_report(load_keymap(name)) == []


def test_a_clash_the_keymap_makes_is_reported() -> None:
    report = keymap_report({"services.stop": "u"})  # u is services.start already
    assert report == ["clash: u is both services.start and services.stop (ServicesTab)"]


def test_a_key_that_shadows_an_app_key_on_a_tab_is_reported() -> None:
    report = keymap_report({"app.refresh": "p"})  # p pauses on three tabs
    assert any("p is both app.refresh and services.pause" in line for line in report)
    assert any("resources.pause" in line for line in report)


def test_clashes_of_the_defaults_are_not_blamed_on_a_keymap() -> None:
    groups = binding_groups(binding_classes())
    assert keymap_clashes({}, groups) == []
    # Moving a binding to a free key clashes with nothing.
    assert keymap_clashes({"services.copy_id": "c"}, groups) == []


def test_unknown_ids_and_bad_keys_are_reported() -> None:
    report = keymap_report({"services.nope": "z", "services.filter": "not-a-key"})
    assert "unknown binding id 'services.nope'" in report
    assert any(line.startswith("services.filter:") for line in report)


def test_quit_keeps_its_key() -> None:
    usable, problems = check_keymap({"services.sort": "q"}, None)
    assert "services.sort" not in usable
    assert problems == ["services.sort: q is the quit key; quit keeps it"]


@pytest.mark.parametrize("key", ["slash", "question_mark", "colon", "ctrl+d", "G", "f5", "plus"])
def test_textual_key_names_are_keys(key: str) -> None:
    assert is_key_name(key)


@pytest.mark.parametrize("key", ["not-a-key", "ctrl+", "hyperspace", "ctl+a"])
def test_other_names_are_not(key: str) -> None:
    assert not is_key_name(key)


def test_vim_and_k9s_keep_the_arrows() -> None:
    for name in ("vim", "k9s"):
        keymap = load_keymap(name)
        assert "down" in keymap["table.down"].split(",")
        assert "up" in keymap["table.up"].split(",")
