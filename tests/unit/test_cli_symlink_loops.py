"""Symlink loops in `--project-dir` and `-f`: exit 2 with a message that says so."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from arctui.cli import main


def _loop(tmp_path: Path) -> Path:
    os.symlink(tmp_path / "b", tmp_path / "a")
    os.symlink(tmp_path / "a", tmp_path / "b")
    return tmp_path / "a"


def test_project_dir_loop_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    loop = _loop(tmp_path)
    code = main(["--settings", str(tmp_path / "none.yaml"), "--project-dir", str(loop), "status"])
    err = capsys.readouterr().err
    assert code == 2
    assert "symlink loop" in err and "Traceback" not in err


def test_file_loop_says_loop(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    loop = _loop(tmp_path)
    monkeypatch.chdir(tmp_path)
    settings = ["--settings", str(tmp_path / "none.yaml")]
    code = main([*settings, "--project-dir", str(tmp_path), "-f", loop.name, "status"])
    err = capsys.readouterr().err
    assert code == 2
    assert "symlink loop" in err and "not found" not in err
