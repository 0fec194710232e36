"""Usage sources are built when first used, not when the session is (first frame cost)."""

from __future__ import annotations

import subprocess
import sys
import threading

from arctui.session import LazySource


def test_lazy_source_builds_once_on_first_use_from_any_thread() -> None:
    built: list[int] = []

    class Source:
        def read(self) -> str:
            return "snapshot"

    def build() -> Source:
        built.append(1)
        return Source()

    lazy = LazySource(build)
    assert built == []
    threads = [threading.Thread(target=lazy.read) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert lazy.read() == "snapshot" and built == [1]


def test_sessions_leave_the_resources_modules_unimported() -> None:
    code = (
        "import sys\n"
        "from arctui.session import demo_session\n"
        "s = demo_session()\n"
        "before = 'arctui.tabs.resources.models' in sys.modules\n"
        "s.resources.read()\n"
        "print(before, 'arctui.tabs.resources.models' in sys.modules)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    ).stdout.split()
    assert out == ["False", "True"]
