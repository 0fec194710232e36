"""The flight recorder's part of the diagnostics bundle: the last hour of the store.

`recorder/timeline.txt` (the post-mortem timeline, one line each) and
`recorder/last-hour.json` (every figure `arctui history` knows, per series, at most 120
points). The entry point passes these in to `ops.diagnostics` (which sits below record).
No store: a member saying so, not a failure.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from arctui.record import history
from arctui.record.store import Store, StoreMissing, default_path
from arctui.session import Session

WINDOW = 3600.0


def bundle_members(session: Session, store: Path | None) -> dict[str, Callable[[], str]]:
    """Member name -> builder (each builder opens the store read-only itself)."""
    path = Path(store).expanduser() if store else default_path(session.project)

    def timeline() -> str:
        try:
            with Store.open(path, readonly=True) as s:
                span = s.span()
                now = span[1] if span else session.clock()
                events = s.events(now - WINDOW, now)
        except StoreMissing:
            return f"nothing recorded at {path} (run `arctui record`)\n"
        return "".join(history.event_line(e) + "\n" for e in events) or "no events\n"

    def data() -> str:
        try:
            s = Store.open(path, readonly=True)
        except StoreMissing:
            return json.dumps({"store": str(path), "recorded": False}) + "\n"
        with s:
            span = s.span()
            out: dict[str, object] = {"store": str(path), "span": list(span) if span else None}
            if span:
                since = span[1] - WINDOW
                out["metrics"] = {
                    m: history.series(s, m, since, span[1], points=120) for m in history.METRICS
                }
        return json.dumps(out, indent=1) + "\n"

    return {"recorder/timeline.txt": timeline, "recorder/last-hour.json": data}
