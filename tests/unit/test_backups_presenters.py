"""Backups presenters: cells and summary are plain sanitized text, never markup."""

from __future__ import annotations

from arctui.config.backups import BackupSettings
from arctui.ops.backups.store import Manifest
from arctui.tabs.backups.demo import demo_snapshot
from arctui.tabs.backups.view.presenters import backup_detail, backup_row, summary

NOW = 2_000_000_000.0


def hostile() -> Manifest:
    return Manifest(
        id="x", kind="postgres", file="x.dump", env="prod", project="p",
        service="db[@click=app.quit]\x1b]0;pwned\x07", container="c", created_at=NOW - 90,
        duration_s=1.0, size=2_500_000, sha256="a" * 64, verified=False,
        verify_detail="verification failed: [bold]x[/nope]\x1b[31m",
    )  # fmt: skip


def test_row_cells_are_sanitized_and_flag_unverified() -> None:
    row = backup_row(hostile(), NOW)
    text = " ".join(c.plain for c in row.cells)
    assert "\x1b" not in text and "[@click=app.quit]" in text  # shown literally, not run
    assert "✖ NO" in text and "2.4 MiB" in text and "1m" in text
    assert all(not c.spans or c.spans[0].style for c in row.cells)


def test_detail_lists_the_manifest() -> None:
    body = backup_detail(hostile(), NOW).plain
    assert "sha256 " + "a" * 64 in body and "verified: NO" in body and "\x1b" not in body


def test_demo_summary_shows_rpo_drill_and_directory() -> None:
    snap = demo_snapshot(NOW, BackupSettings(directory=None))  # type: ignore[arg-type]
    text = summary(snap, NOW).plain
    assert "GREEN" in text and "AMBER" in text and "DR drill 20d00h ago: passed" in text
    assert "keep 30 days" in text
