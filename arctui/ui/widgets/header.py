"""The top bar: environment (production unmistakable), project, endpoint, data age."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from rich.text import Text
from textual.reactive import var
from textual.widgets import Static

from arctui.models import StackSnapshot
from arctui.stack.report import summary
from arctui.text import one_line
from arctui.units import duration

ALERTS_EVERY = 15.0  # seconds between reads of the recorder store's firing alerts
COMPACT_LEVELS = 3  # shorter forms of a several-engine header (header_text's compact)


class ArcHeader(Static):
    """One line; red with a PRODUCTION badge when the environment is production."""

    # vars: the watchers redraw the line only when its text changed.
    snapshot: var[StackSnapshot | None] = var(None, always_update=True)
    stale_reason: var[str] = var("")
    alerts_firing: var[int] = var(0)  # the recorder's firing alerts (its store)
    # Several engines (ui/fleet_app.py): (EngineTag, snapshot) each; () with one engine.
    engines: var[tuple[tuple[Any, StackSnapshot | None], ...]] = var(())

    def __init__(
        self,
        env: str,
        production: bool,
        project: str,
        read_only: bool,
        clock: Callable[[], float],
        session: Any = None,
    ) -> None:
        super().__init__(id="header")
        self.env = env
        self.production = production
        self.project = project
        self.read_only = read_only
        self.clock = clock
        # The alerts' store is the session's (--store); in a replay its clock is the
        # moment shown, and the count is read again whenever that moment moves.
        self.session = session
        self._alerts_at: float | None = None  # the moment the count was read for (replay)
        self.set_class(production, "production")
        self._shown: Text | None = None
        self._endpoint_cells = 0  # the endpoint's part of the last text built

    def on_mount(self) -> None:
        self._show()
        self._read_alerts()
        self.set_interval(ALERTS_EVERY, self._read_alerts)

    def _read_alerts(self) -> None:
        # The store is a file read: on a worker thread, never on the event loop.
        self.run_worker(self._count_alerts, thread=True, exit_on_error=False, group="alerts")

    def _count_alerts(self) -> None:
        from arctui.alerts.status import firing, read_alert_events, session_alerts

        try:
            if self.session is not None:
                count = sum(r.firing for r in session_alerts(self.session))
            else:
                from arctui.record.store import default_path

                count = len(firing(read_alert_events(default_path(self.project), time.time())))
        except Exception:  # no store, locked, damaged: no count, the header stands
            count = 0
        if count != self.alerts_firing:
            self.app.call_from_thread(setattr, self, "alerts_firing", count)

    def watch_alerts_firing(self) -> None:
        self._show()

    def watch_snapshot(self) -> None:
        self._show()

    def watch_stale_reason(self) -> None:
        self._show()

    def watch_engines(self) -> None:
        self._show()

    def tick(self) -> None:
        """Refresh the age of the data (called every second); in a replay, the alerts
        again when the moment shown moved."""
        if self.session is not None and self.session.replay is not None:
            moment = self.clock()
            if moment != self._alerts_at:
                self._alerts_at = moment
                self._read_alerts()
        self._show()

    def on_resize(self) -> None:
        self._show()

    def _show(self) -> None:
        text = self.header_text()
        width = self.size.width
        # Several engines: the last engine's figures must not be what a narrow terminal
        # cuts. Shorter forms, in turn, until the summaries fit (the endpoint may go).
        for compact in range(1, COMPACT_LEVELS + 1):
            if not self.engines or not width or self._fits(text, width):
                break
            text = self.header_text(compact)
        if text != self._shown:
            self._shown = text
            # One line of fixed height: no layout pass (a layout pass repaints the whole
            # screen, and every stack read sets the snapshot).
            self.update(text, layout=False)

    def _fits(self, text: Text, width: int) -> bool:
        """Everything up to the endpoint (the last part, cut first) fits in `width`."""
        return text.cell_len - self._endpoint_cells <= width

    def header_text(self, compact: int = 0) -> Text:
        """The header as plain Text pieces (no markup from outside strings). `compact`
        (several engines, a narrow terminal): 1 the summaries closer together, 2 no
        `env` word, 3 no project name (every engine watches the same project)."""
        out = Text(no_wrap=True, overflow="ellipsis")
        env = f" {'env ' if compact < 2 else ''}{one_line(self.env, 20)} "
        if self.production:
            out.append(" ▲ PRODUCTION ", style="bold reverse")
            out.append(env, style="bold")
        else:
            out.append(" arctui ", style="bold reverse")
            out.append(env)
        if self.read_only:
            out.append(" READ-ONLY ", style="bold reverse")
        if compact < 3:
            out.append(f"│ {one_line(self.project, 40)} ", style="bold")
        if self.alerts_firing:
            n = self.alerts_firing
            out.append(f" ⚠ {n} alert{'s' if n > 1 else ''} ", style="bold reverse")
        snap = self.snapshot
        # Age before endpoint: on a narrow terminal the endpoint is what gets cut.
        if snap is None:
            out.append("│ no data yet ")
        else:
            age = duration(self.clock() - snap.taken_at)
            if self.stale_reason:
                out.append(f"│ STALE {age} old ", style="bold reverse")
            else:
                out.append(f"│ {age} old ")
            if not self.engines:
                total, running, problems = summary(snap)
                out.append(f"│ {running}/{total} up ")
                if problems:
                    out.append(f"{problems} need attention ", style="bold")
        if self.engines:
            self._engine_summaries(out, compact)
        # The endpoint comes with the first read: resolving it imports the docker SDK.
        endpoint = snap.endpoint if snap is not None else "connecting…"
        last = f"│ {one_line(endpoint, 60)} "
        self._endpoint_cells = len(last)
        out.append(last)
        return out

    def _engine_summaries(self, out: Text, compact: int = 0) -> None:
        """`│ local 12/12 · staging 11/12 · prod! 12/12`: production bold reverse, a
        stale engine marked `~` (the banner says why); `compact`: `·` with no spaces."""
        out.append("│ ")
        for i, (tag, snap) in enumerate(self.engines):
            if i:
                out.append("·" if compact else "· ")
            name = one_line(tag.name, 32) + ("!" if tag.production else "")
            if snap is None:
                figures = "…"
            else:
                total, running, _ = summary(snap)
                figures = f"{running}/{total}"
            stale = "~" if tag.stale else ""
            style = "bold reverse" if tag.production else "bold" if tag.stale else ""
            out.append(f"{name} {stale}{figures}", style=style)
            if not compact or i == len(self.engines) - 1:
                out.append(" ")
