"""Backups snapshot -> texts and cells: pure functions, no widgets, unit-tested."""

from __future__ import annotations

from rich.text import Text

from arctui.ops.backups.datastore import contents
from arctui.ops.backups.store import Manifest
from arctui.tabs.backups.models import AMBER, GREEN, BackupsSnapshot, RpoStatus
from arctui.text import one_line
from arctui.ui.cells import DEFAULT_COLOURS, Colours, Row
from arctui.units import duration, size

COLUMNS: tuple[tuple[str, str], ...] = (
    ("id", "Backup"),
    ("datastore", "Datastore"),
    ("age", "Age"),
    ("size", "Size"),
    ("verified", "Verified"),
    ("detail", "Detail"),
)
_KIND = {GREEN: "up", AMBER: "degraded"}


def status_kind(status: str) -> str:
    """Semantic colour of an RPO status."""
    return _KIND.get(status, "down")


def rpo_line(row: RpoStatus, palette: Colours = DEFAULT_COLOURS) -> Text:
    """`● GREEN  postgres/db  newest verified 12m ago (RPO 1h00m)`."""
    text = Text()
    text.append(f"● {row.status.upper():<6}", style=f"bold {palette[status_kind(row.status)]}")
    text.append(f" {one_line(row.datastore, 40):<28} ")
    rpo = duration(row.rpo_s)
    if row.age_s is None:
        text.append(f"no verified backup (RPO {rpo})", style=palette["down"])
    else:
        text.append(f"newest verified {duration(row.age_s)} ago (RPO {rpo})")
    if row.last_run_failed:
        text.append("  last run FAILED: ", style=f"bold {palette['down']}")
        text.append(one_line(row.last_run_detail, 120))
    return text


def summary(snapshot: BackupsSnapshot, now: float, palette: Colours = DEFAULT_COLOURS) -> Text:
    """The RPO block, the last drill and where backups live."""
    text = Text()
    for row in snapshot.rpo:
        text.append_text(rpo_line(row, palette))
        text.append("\n")
    drill = snapshot.last_drill
    if drill is None:
        text.append("DR drill: never run (t runs one)", style=palette["degraded"])
    else:
        style = palette["up"] if drill.ok else palette["down"]
        text.append(f"DR drill {duration(now - drill.at)} ago: ")
        text.append("passed" if drill.ok else "FAILED", style=f"bold {style}")
        text.append(f" in {duration(drill.elapsed_s)} (RTO {duration(snapshot.rto_s)})")
    text.append("\n")
    text.append(
        f"{one_line(snapshot.directory, 80)} · keep {snapshot.keep_days:g} days", style="dim"
    )
    if snapshot.prune_refused:
        text.append(" · prune held: the last run failed", style=palette["degraded"])
    return text


def backup_row(m: Manifest, now: float, palette: Colours = DEFAULT_COLOURS) -> Row:
    """One table row (every cell a Text of sanitized strings)."""
    verified = (
        Text("✔ yes", style=palette["up"])
        if m.verified
        else Text("✖ NO", style=f"bold {palette['down']}")
    )
    detail = contents(m)
    if not m.verified:
        detail = m.verify_detail
    elif m.offsite is not None and not m.offsite.get("ok"):
        detail += " · off-site sync failed"
    return Row(
        key=m.id,
        cells=(
            Text(one_line(m.id, 60)),
            Text(one_line(m.datastore, 40)),
            Text(duration(now - m.created_at), justify="right"),
            Text(size(m.size), justify="right"),
            verified,
            Text(one_line(detail, 120), style="" if m.verified else palette["down"]),
        ),
    )


def backup_detail(m: Manifest, now: float) -> Text:
    """The selected backup's manifest, as text."""
    lines = [
        f"{m.id}  ({m.datastore}, env {m.env}, project {m.project})",
        f"file {m.file} · {size(m.size)} · taken {duration(now - m.created_at)} ago"
        f" in {m.duration_s:.1f} s",
        f"sha256 {m.sha256 or '-'}",
        f"verified: {'yes' if m.verified else 'NO'} — {m.verify_detail}",
    ]
    if m.server_version:
        lines.append(
            f"server {m.server_version}" + (f" · database {m.database}" if m.database else "")
        )
    if m.keys is not None:
        exact = "" if m.keys_exact else " (from INFO at save time)"
        lines.append(f"{m.keys} keys, {m.expires or 0} with a TTL{exact}")
    if m.tables:
        lines.append("tables: " + ", ".join(m.tables[:20]) + (" …" if len(m.tables) > 20 else ""))
    if m.offsite is not None:
        lines.append(
            f"off-site: {'ok' if m.offsite.get('ok') else 'FAILED'} {m.offsite.get('detail', '')}"
        )
    return Text(_clean_lines(lines))


def _clean_lines(lines: list[str]) -> str:
    return "\n".join(one_line(line, 400) for line in lines)
