"""`env_warnings` (run by every headless command but `env`) names the placeholders the
env rows show, without building and masking every row."""

from __future__ import annotations

from pathlib import Path

import pytest

import arctui.ops.envinfo as envinfo
from arctui.config.project import resolve_project
from tests.platform_fixture import checkout


def _layers(root: Path):  # type: ignore[no-untyped-def]
    _, layers = resolve_project(root, environ={"PATH": "/usr/bin:/bin"})
    return layers


def _from_rows(layers, base: Path) -> list[str]:  # type: ignore[no-untyped-def]
    return [r.key for r in envinfo.env_rows(layers, base) if r.placeholder and r.used]


def test_the_platform_checkouts_placeholders_in_row_order(tmp_path: Path) -> None:
    root = checkout(tmp_path / "arc")
    layers = _layers(root)
    holders = _from_rows(layers, root)
    assert len(holders) > envinfo.SHOWN_IN_WARNING  # the fixture has several, in scopes
    assert envinfo._placeholder_keys(layers, root) == holders
    line = next(w for w in envinfo.env_warnings(layers, root) if "placeholder" in w)
    assert line.startswith(f"{len(holders)} placeholder values still set")
    assert ", ".join(holders[: envinfo.SHOWN_IN_WARNING]) in line


def test_no_placeholder_no_line(tmp_path: Path) -> None:
    (tmp_path / "compose.yaml").write_text("services:\n  web:\n    image: nginx\n")
    (tmp_path / ".env").write_text("TAG=1\nAPI_TOKEN=s3cret-value\n")
    layers = _layers(tmp_path)
    assert envinfo._placeholder_keys(layers, tmp_path) == _from_rows(layers, tmp_path) == []
    assert not any("placeholder" in w for w in envinfo.env_warnings(layers, tmp_path))


def test_the_warnings_mask_no_value(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = checkout(tmp_path / "arc")
    layers = _layers(root)
    expected = envinfo.env_warnings(layers, root)

    def no_masking(key: str, value: str) -> str:
        raise AssertionError("env_warnings masked a value: it builds every env row")

    monkeypatch.setattr(envinfo, "mask_value", no_masking)
    assert envinfo.env_warnings(layers, root) == expected
