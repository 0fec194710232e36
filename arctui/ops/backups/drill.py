"""The DR drill: the newest verified backups restored into scratch and checked."""

from __future__ import annotations

import time

from arctui.ops.backups.attempt import Context, RunResult, gated
from arctui.ops.backups.common import BackupError
from arctui.ops.backups.datastore import KINDS, datastore
from arctui.ops.backups.restore import checked
from arctui.ops.backups.store import Manifest
from arctui.ops.backups.targets import find_target
from arctui.ops.runner import Outcome


def drill(ctx: Context) -> RunResult:
    """The quarterly DR drill: newest verified backups restored into scratch, checked, removed."""

    def work() -> RunResult:
        t0 = time.monotonic()
        newest: dict[str, Manifest] = {}
        for each in ctx.store.backups():
            if each.verified and each.kind in KINDS:
                newest[each.kind] = each
        if not newest:
            raise BackupError("no verified backup to drill with", "take one: arctui backup all")
        lines: list[str] = []
        failed: list[str] = []
        for kind in KINDS:
            chosen = newest.get(kind)
            if chosen is None:
                failed.append(f"{kind}: no verified backup")
                continue
            try:
                manifest, path = checked(ctx, chosen.id)
                target = find_target(ctx.session, kind)
                lines.append(datastore(kind).drill(ctx, target, manifest, path))
            except BackupError as exc:
                failed.append(f"{kind}: {exc.reason}")
        elapsed = time.monotonic() - t0
        rto = ctx.settings.rto_s
        timing = f"{elapsed:.1f} s (RTO {rto / 60:g} min{', EXCEEDED' if elapsed > rto else ''})"
        ok = not failed and elapsed <= rto
        ctx.store.record_run(
            {
                "action": "drill",
                "outcome": "ok" if ok else "failed",
                "at": time.time(),
                "elapsed_s": round(elapsed, 3),
                "detail": "; ".join(failed + lines)[:2000],
            }
        )
        if failed:
            return RunResult(
                "drill",
                "backups",
                Outcome.FAILED,
                f"drill FAILED in {timing}: " + "; ".join(failed),
                details=tuple(lines),
                data={"elapsed_s": elapsed},
            )
        return RunResult(
            "drill",
            "backups",
            Outcome.OK if ok else Outcome.FAILED,
            f"drill {'passed' if ok else 'over the RTO'} in {timing}",
            details=tuple(lines),
            data={"elapsed_s": elapsed},
        )

    return gated(ctx, "drill", "backups", "backups", "arctui drill", work)
