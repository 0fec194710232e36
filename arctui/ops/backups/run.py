"""The audited entry points: backup, verify, delete, prune, restore, drill.

Shared by the TUI and `arctui backup` (`from arctui.ops.backups import run as ops`).
Each operation lives in its own module and runs through `attempt.gated`, the backups'
frame around the one gate (`ops/gate.py`: read-only, the audit record first, the lock,
the outcome record); see attempt.py.
"""

from __future__ import annotations

from arctui.ops.backups.attempt import Context, RunResult, confirmations, mutation, refuse
from arctui.ops.backups.drill import drill
from arctui.ops.backups.restore import restore
from arctui.ops.backups.take import backup, delete, plan, prune, verify

__all__ = [
    "Context",
    "RunResult",
    "backup",
    "confirmations",
    "delete",
    "drill",
    "mutation",
    "plan",
    "prune",
    "refuse",
    "restore",
    "verify",
]
