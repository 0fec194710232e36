"""Messages tabs post to the app: requests, never actions of their own."""

from __future__ import annotations

from textual.message import Message


class ActionRequested(Message):
    """A view asks for a lifecycle action; the app confirms and runs it."""

    def __init__(self, verb: str, target: str | None = None, engine: str | None = None) -> None:
        super().__init__()
        self.verb = verb
        self.target = target
        self.engine = engine  # the row's engine (None: the primary); its session acts
