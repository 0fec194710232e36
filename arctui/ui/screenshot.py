"""SVG screenshots that cannot leak: redacted, 0600, in a private folder that exists.

Textual's own screenshot wrote a 0644 file into a Downloads folder that may not exist
("Failed to save screenshot", nothing more). A screenshot shows what the screen shows,
and the screen can hold sensitive data, so arctui writes it:
- into `$XDG_STATE_HOME/arctui/screenshots/` (created 0700; the audit log's neighbour),
  or the folder the caller names;
- as a new file created 0600 (never over an existing one);
- after a last pass of the session's redactor over the SVG text (the screen is already
  redacted; this catches what a widget might have missed, HTML-escaped forms included).
Failures say why, with the path.
"""

from __future__ import annotations

import os
import re
from datetime import datetime
from pathlib import Path

from arctui.config.masking import active_redactor
from arctui.config.settings import state_dir


def screenshot_dir() -> Path:
    """Where screenshots go by default."""
    return state_dir() / "screenshots"


def screenshot_name(title: str, time_format: str | None = None) -> str:
    """`<title> <local time>.svg`, characters that are unsafe in a file name as `_`
    (arctui's own: Textual's helper for it is private)."""
    now = datetime.now()
    stamp = now.isoformat() if time_format is None else now.strftime(time_format)
    return re.sub(r'[ <>:"/\\|?*.]', "_", f"{title} {stamp}") + ".svg"


def write_screenshot(svg: str, filename: str, folder: Path | None = None) -> Path:
    """Write the redacted SVG as a new 0600 file; returns its path. Raises OSError."""
    folder = folder or screenshot_dir()
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    path = folder / Path(filename).name  # a name, never a path out of the folder
    data = active_redactor().redact_known(svg).encode("utf-8")
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        os.write(fd, data)
    finally:
        os.close(fd)
    return path
