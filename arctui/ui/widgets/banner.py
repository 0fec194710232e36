"""A problem banner: what failed, why, what to do, and when we retry."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

from arctui.models import SourceFailure
from arctui.text import one_line


class ProblemBanner(Static):
    """Hidden when all is well; shows a SourceFailure and its fix otherwise.

    It is set after every read: an unchanged text is not updated again (an update is a
    layout pass, which repaints the whole screen).
    """

    _shown: Text | None = None

    def _show(self, text: Text) -> None:
        if text != self._shown or not self.display:
            self._shown = text
            self.update(text)
        self.display = True

    def show_failure(
        self, failure: SourceFailure, retry_in: float, has_data: bool, notes: tuple[str, ...] = ()
    ) -> None:
        """Show what failed and when the next attempt is."""
        text = Text()
        text.append(f"✖ {one_line(failure.source, 20)}: ", style="bold")
        text.append(one_line(failure.reason, 400))
        if failure.fix:
            text.append("\n  fix: ", style="bold")
            text.append(one_line(failure.fix, 400))
        kept = "; the last data stays shown" if has_data else ""
        text.append(f"\n  retrying in {retry_in:.0f} s (r to retry now){kept}.")
        for note in notes[:2]:  # env-file findings do not depend on the engine
            text.append("\n⚠ ", style="bold")
            text.append(one_line(note, 400))
        self._show(text)

    def show_note(self, message: str) -> None:
        """A non-fatal problem (e.g. compose config does not render)."""
        text = Text()
        for i, line in enumerate(message.splitlines()[:4]):
            text.append(("\n" if i else "") + "⚠ ", style="bold")
            text.append(one_line(line, 600))
        self._show(text)

    def clear(self) -> None:
        """Hide the banner."""
        if self._shown is not None or self.display:
            self._shown = None
            self.update("")
            self.display = False
