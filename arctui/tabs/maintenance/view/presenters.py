"""Pure presenters of the Maintenance tab: rows and summaries as Rich `Text` (never markup)."""

from __future__ import annotations

from datetime import datetime

from rich.text import Text

from arctui.ops.maintenance.calendar import TaskState
from arctui.ops.maintenance.disk import DiskReport, days_text, growth_text
from arctui.ops.maintenance.prune import Candidates
from arctui.ops.maintenance.runbook import Runbook
from arctui.tabs.maintenance.models import READING, EngineDisk, growth_line
from arctui.text import one_line
from arctui.ui.fleet_cells import ENGINE_COLUMN, EngineTag, engine_cell, row_key
from arctui.units import duration, size, size_compact

CALENDAR_COLUMNS = (
    ("task", "Task"),
    ("every", "Every"),
    ("status", "Status"),
    ("last", "Last done"),
    ("due", "Due"),
    ("how", "How"),
)
DISK_COLUMNS = (
    ("kind", "Type"),
    ("total", "Total"),
    ("active", "Active"),
    ("size", "Size"),
    ("reclaimable", "Reclaimable"),
)
VOLUME_COLUMNS = (("name", "Volume"), ("size", "Size"), ("used", "Used by"), ("growth", "Growth"))
PRUNE_LINE = "P: prune dangling images, stopped containers outside the project, build cache"
RUNBOOK_COLUMNS = (("name", "Name"), ("kind", "Kind"), ("help", "What it does"), ("flags", ""))
_STATUS = {
    "ok": ("ok", "green"),
    "due": ("DUE", "yellow"),
    "overdue": ("OVERDUE", "bold red"),
    "never": ("never", "red"),
}


def when(ts: float | None, now: float) -> Text:
    """A date and how long ago (or how long until)."""
    if ts is None:
        return Text("never", style="grey50")
    stamp = datetime.fromtimestamp(ts).strftime("%Y-%m-%d")
    delta = now - ts
    rel = f"{duration(abs(delta))} {'ago' if delta >= 0 else 'left'}"
    return Text(f"{stamp} ({rel})")


def calendar_row(state: TaskState, now: float) -> tuple[str, list[Text]]:
    """One task: key and cells."""
    t = state.task
    label, style = _STATUS[state.status]
    if not t.can_do and state.last_done is None:
        label, style = "manual", "grey50"
    how = t.how if t.can_do else f"{t.how} (not by arctui)"
    return t.id, [
        Text(t.title),
        Text(t.period),
        Text(label, style=style),
        when(state.last_done, now),
        when(state.due_at, now) if state.due_at else Text("-" if not t.can_do else "now"),
        Text(one_line(how, 60), style="grey50" if not t.can_do else ""),
    ]


def calendar_detail(state: TaskState | None, now: float) -> Text:
    """The selected task in one or two lines."""
    if state is None:
        return Text("")
    t = state.task
    out = Text(f"{t.title}: ", style="bold")
    if state.last_done is None:
        out.append("no record that it was ever done")
    else:
        out.append(f"last done {when(state.last_done, now)} ({one_line(state.source, 80)})")
    out.append(". ")
    if t.can_do:
        out.append("Enter: do it now · d: mark done")
    else:
        out.append("arctui cannot do this itself · d: mark done when it is")
    if state.detail:
        out.append(f"\n{one_line(state.detail, 300)}", style="grey50")
    return out


def calendar_summary(states: tuple[TaskState, ...]) -> Text:
    """How many tasks need attention."""
    late = [s for s in states if s.status in ("overdue", "never") and s.task.can_do]
    due = [s for s in states if s.status == "due"]
    text = Text("Maintenance calendar (the guide's weekly, monthly, quarterly tasks): ")
    if not late and not due:
        text.append("everything is up to date", style="green")
    else:
        if late:
            text.append(f"{len(late)} overdue or never done", style="bold red")
        if due:
            text.append(("; " if late else "") + f"{len(due)} due", style="yellow")
    return text


def disk_rows(report: DiskReport) -> list[tuple[str, list[Text]]]:
    """The four lines of `docker system df`."""
    out = []
    for r in report.rows:
        pct = f" ({int(100 * r.reclaimable / r.size)}%)" if r.size else ""  # floor, as docker
        out.append(
            (
                r.kind,
                [
                    Text(r.kind),
                    Text(str(r.total), justify="right"),
                    Text(str(r.active), justify="right"),
                    Text(size(r.size), justify="right"),
                    Text(size(r.reclaimable) + pct, justify="right"),
                ],
            )
        )
    return out


def volume_rows(report: DiskReport) -> list[tuple[str, list[Text]]]:
    """Each project volume with its size."""
    return [
        (
            v.name,
            [
                Text(one_line(v.name, 60)),
                Text(size(v.size) if v.size is not None else "?", justify="right"),
                Text(f"{v.containers} container{'s' if v.containers != 1 else ''}"),
                Text(growth_text(v), style="grey50" if v.growth is None else ""),
            ],
        )
        for v in report.volumes
    ]


def disk_summary(report: DiskReport | None, project: str) -> Text:
    """Free space of the data root, reclaimable total, growth note."""
    if report is None:
        return Text("reading disk use (docker system df) …")
    if report.error:
        return Text(f"cannot read disk use: {one_line(report.error, 300)}", style="red")
    root = report.root
    out = Text()
    if root.free is not None and root.total:
        pct = 100 * root.free / root.total
        style = "red" if pct < 10 else "yellow" if pct < 20 else "green"
        out.append(f"Data root {one_line(root.path, 80)}: ")
        out.append(f"{size(root.free)} free", style=f"bold {style}")
        out.append(f" of {size(root.total)} ({pct:.0f}%)")
    else:
        out.append(f"Data root {one_line(root.path or '?', 80)}: {one_line(root.note, 200)}")
    if report.days_left is not None:  # the data root's, at the project volumes' growth
        style = "bold red" if report.days_left < 14 else ""
        out.append(f" · full in {days_text(report.days_left)}", style=style)
    # Three lines fit the summary at 80 columns: reclaimable goes with the growth note.
    out.append(f"\nreclaimable {size(report.reclaimable)} · ")
    out.append(report.growth, style="grey50")
    out.append("\n" + PRUNE_LINE)
    return out


def engine_columns(columns: tuple[tuple[str, str], ...]) -> tuple[tuple[str, str], ...]:
    """A table's columns with the Engine column first (several engines)."""
    return (ENGINE_COLUMN, *columns)


def _tag(disk: EngineDisk) -> EngineTag:
    return EngineTag(disk.engine, disk.production)


def fleet_disk_rows(disks: tuple[EngineDisk, ...]) -> list[tuple[str, list[Text]]]:
    """Every engine's `docker system df` lines, grouped by engine, the Engine cell first."""
    return [
        (row_key(d.engine, key), [engine_cell(_tag(d)), *cells])
        for d in disks
        for key, cells in disk_rows(d.report)
    ]


def fleet_volume_rows(disks: tuple[EngineDisk, ...]) -> list[tuple[str, list[Text]]]:
    """Every engine's project volumes, grouped by engine, the Engine cell first."""
    return [
        (row_key(d.engine, key), [engine_cell(_tag(d)), *cells])
        for d in disks
        for key, cells in volume_rows(d.report)
    ]


def _engine_line(disk: EngineDisk) -> Text:
    """`prod!: 22.0 GiB free (9% of 250G) · full in 47 days · reclaimable 4.0 GiB ·
    /var/lib/docker`: figures first, the path last (a narrow terminal cuts the path)."""
    out = engine_cell(_tag(disk))
    out.append(": ")
    report = disk.report
    if report.error == READING:
        out.append(f"disk use {READING} …", style="grey50")
        return out
    if report.error:
        out.append(f"cannot read disk use: {one_line(report.error, 300)}", style="red")
        return out
    root = report.root
    if root.free is not None and root.total:
        pct = 100 * root.free / root.total
        style = "red" if pct < 10 else "yellow" if pct < 20 else "green"
        out.append(f"{size(root.free)} free", style=f"bold {style}")
        out.append(f" ({pct:.0f}% of {size_compact(root.total)})")  # fits 80 columns
    else:
        out.append(one_line(root.note or "free space unknown", 120))
    if report.days_left is not None:
        out.append(
            f" · full in {days_text(report.days_left)}",
            style="bold red" if report.days_left < 14 else "",
        )
    out.append(f" · reclaimable {size(report.reclaimable)}")
    if root.path:
        out.append(f" · {one_line(root.path, 80)}", style="grey50")
    return out


def fleet_disk_summary(disks: tuple[EngineDisk, ...]) -> Text:
    """One line per engine, the growth note (once when the engines agree), the prune key."""
    if not disks:
        return Text("reading disk use (docker system df) on every engine …")
    out = Text(no_wrap=True, overflow="ellipsis")
    for disk in disks:
        out.append_text(_engine_line(disk))
        out.append("\n")
    out.append(growth_line(disks), style="grey50")
    out.append("\nP: prune the highlighted row's engine: " + PRUNE_LINE.partition("prune ")[2])
    return out


def prune_consequence(found: Candidates) -> str:
    """What the prune would remove, listed for the confirmation."""
    parts = []
    for title, items in (
        ("containers", found.containers),
        ("images", found.images),
        ("build cache", found.build_cache),
    ):
        names = ", ".join(one_line(i.name, 40) for i in items[:8])
        more = f" and {len(items) - 8} more" if len(items) > 8 else ""
        parts.append(f"{len(items)} {title}" + (f" ({names}{more})" if items else ""))
    note = f" Build cache {found.build_cache_note}." if found.build_cache_note else ""
    return (
        f"Removes {'; '.join(parts)}: about {size(found.bytes)}."
        f" Never the project's containers or any volume.{note}"
    )


def runbook_rows(book: Runbook) -> list[tuple[str, list[Text]]]:
    """Makefile targets, then the custom commands."""
    out = []
    for t in book.targets:
        flags = Text("removes data", style="bold red") if t.dangerous else Text("")
        out.append(
            (
                f"make:{t.name}",
                [Text(t.name), Text("make"), Text(one_line(t.help or "", 80)), flags],
            )
        )
    for c in book.commands:
        flags = Text("dangerous", style="bold red") if c.dangerous else Text("")
        what = c.help or " ".join(c.argv)
        kind = "command" + (" (service)" if c.scope == "service" else "")
        out.append((f"cmd:{c.name}", [Text(c.name), Text(kind), Text(one_line(what, 80)), flags]))
    return out


def runbook_summary(book: Runbook) -> Text:
    """Where the targets come from."""
    where = str(book.makefile) if book.makefile else "no Makefile"
    out = Text(f"Runbook: {one_line(where, 120)} · {len(book.targets)} targets,")
    out.append(f" {len(book.commands)} custom commands (settings: commands)")
    if book.note:
        out.append(f"\n{one_line(book.note, 200)}", style="grey50")
    out.append("\nEnter: run · v: run with variables (VAR=value ...)")
    return out
