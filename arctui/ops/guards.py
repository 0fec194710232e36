"""What an operator must type before a mutation runs: one rule for every tab."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from arctui.session import Session


def typed_confirmations(
    session: Session, extra: tuple[tuple[str, str], ...] = ()
) -> tuple[tuple[str, str], ...]:
    """`extra` (what, word) pairs, plus the environment's name in production."""
    out = list(extra)
    if session.production:
        out.append(("environment name", session.env))
    return tuple(out)
