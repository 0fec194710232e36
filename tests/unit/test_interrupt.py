"""`run_interruptible`: Ctrl-C asks the work to stop; no traceback, the work's own result."""

from __future__ import annotations

import signal
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import pytest

from arctui.interrupt import run_interruptible

ROOT = Path(__file__).resolve().parents[2]

# A headless command in miniature: the work waits for its cancel flag (as a backup or a
# big-key scan does), Ctrl-C says so on stderr and sets it, the exit code says "stopped".
SCRIPT = textwrap.dedent(
    """
    import sys, threading
    from arctui.interrupt import run_interruptible
    from arctui.output import emit

    cancel = threading.Event()

    def work():
        print("started", flush=True)
        return "stopped" if cancel.wait(120) else "timed out"

    def interrupted():
        emit("cancelling: stopping the command ...", file=sys.stderr)
        cancel.set()

    result = run_interruptible(work, interrupted, name="arctui-test")
    print(result, flush=True)
    sys.exit(130 if result == "stopped" else 0)
    """
)


def test_sigint_reaches_the_work_and_the_command_ends_cleanly() -> None:
    proc = subprocess.Popen(
        [sys.executable, "-c", SCRIPT],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        assert proc.stdout.readline().strip() == "started"  # the work runs: now Ctrl-C
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130, err
    assert out.strip() == "stopped"
    assert "cancelling: stopping the command ..." in err
    assert "Traceback" not in err and "KeyboardInterrupt" not in err


def test_the_work_runs_off_the_main_thread_and_returns_its_value() -> None:
    def work() -> str:
        return threading.current_thread().name

    assert run_interruptible(work, lambda: None, name="arctui-x") == "arctui-x"


def test_an_error_in_the_work_is_raised_to_the_caller() -> None:
    def work() -> None:
        raise ValueError("bad input")

    with pytest.raises(ValueError, match="bad input"):
        run_interruptible(work, lambda: None)
