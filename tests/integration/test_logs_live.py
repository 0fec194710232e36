"""The Logs data layer and `arctui logs` against real containers.

A private compose project (`arctui-test-logs`, the stack's busybox image, host network,
no ports) writes known lines: `chatter` plain/key=value/JSON lines with levels, one line
with markup and title/clipboard escapes, a 1 MB line, then numbered ticks; `ticker` ticks
on stdout and stderr. It is removed at the end. The shared stack is only used for its
images (the `test_stack` fixture builds them), so these tests never disturb it.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import os
import re
import shutil
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from arctui.sources.docker_logs import DockerLogSource, LogWindow
from arctui.tabs.logs.buffer import LogBuffer
from arctui.tabs.logs.filter import LineFilter
from arctui.tabs.logs.models import Level, LogLine
from arctui.tabs.logs.reader import LineMaker, LogFeed, read_lines
from tests.integration.stack import BUSYBOX_IMAGE, REPO_ROOT, RunningStack

PROJECT = "arctui-test-logs"
BIG = 1024 * 1024

CHATTER = r"""trap 'exit 0' TERM INT
boot=$(cut -c1-8 /proc/sys/kernel/random/uuid)
echo "chatter boot $boot"
echo "2026-12-01 14:00:00,000 - chatter - ERROR - plain error line"
echo "2026-12-01 14:00:00,001 - chatter - INFO - plain info line"
echo 'time="2026-12-01T14:00:00Z" level=error msg="kv error line"'
echo 'level=warn msg="kv warn line"' >&2
echo '{"level":"error","msg":"json error line"}' >&2
echo '{"level":"debug","msg":"json debug line"}'
printf 'evil \033]0;pwned-title\007 \033]52;c;cHduZWQ=\007 '
printf '[@click=app.quit]x[/] [bold]y[/nope] end\n'
head -c 1048576 /dev/zero | tr '\0' 'x'; echo
echo "after big line"
i=0
while true; do echo "chatter $boot tick $i"; i=$((i+1)); sleep 0.2 & wait; done
"""

TICKER = r"""trap 'exit 0' TERM INT
boot=$(cut -c1-8 /proc/sys/kernel/random/uuid)
i=0
while true; do
  echo "ticker $boot tick $i"; i=$((i+1))
  echo "ticker $boot tick $i" >&2; i=$((i+1))
  sleep 0.1 & wait
done
"""

COMPOSE = f"""\
name: {PROJECT}
services:
  chatter:
    image: {BUSYBOX_IMAGE}
    network_mode: host
    command: ["sh", "/chatter.sh"]
    volumes: ["./chatter.sh:/chatter.sh:ro"]
    stop_grace_period: 1s
  ticker:
    image: {BUSYBOX_IMAGE}
    network_mode: host
    command: ["sh", "/ticker.sh"]
    volumes: ["./ticker.sh:/ticker.sh:ro"]
    stop_grace_period: 1s
"""


def _compose(directory: Path, *args: str) -> str:
    proc = subprocess.run(
        ["docker", "compose", "-p", PROJECT, "-f", str(directory / "docker-compose.yml"), *args],
        cwd=directory, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    if proc.returncode != 0:
        raise RuntimeError(f"compose {' '.join(args)}: {proc.stdout}\n{proc.stderr}")
    return proc.stdout


def _docker_logs(container: str) -> list[str]:
    """The container's lines as the docker CLI prints them (an independent reading)."""
    proc = subprocess.run(
        ["docker", "logs", container], capture_output=True, timeout=60, check=True
    )
    return [
        *proc.stdout.decode("utf-8", "replace").splitlines(),
        *proc.stderr.decode("utf-8", "replace").splitlines(),
    ]


@pytest.fixture(scope="module")
def logs_project(
    test_stack: RunningStack, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Path]:
    directory = tmp_path_factory.mktemp("logs-project")
    (directory / "docker-compose.yml").write_text(COMPOSE)
    (directory / "chatter.sh").write_text(CHATTER)
    (directory / "ticker.sh").write_text(TICKER)
    _compose(directory, "down", "-v", "-t", "1", "--remove-orphans")
    try:
        _compose(directory, "up", "-d")
        deadline = time.monotonic() + 30
        while not any("tick 3" in x for x in _docker_logs(f"{PROJECT}-chatter-1")):
            assert time.monotonic() < deadline, "chatter did not start"
            time.sleep(0.2)
        while len(_docker_logs(f"{PROJECT}-ticker-1")) < 60:  # a few ticks end in 7
            assert time.monotonic() < deadline, "ticker did not start"
            time.sleep(0.2)
        yield directory
    finally:
        with contextlib.suppress(RuntimeError, subprocess.TimeoutExpired):
            _compose(directory, "down", "-v", "-t", "1", "--remove-orphans")


def _history(services: tuple[str, ...] = (), window: LogWindow | None = None) -> list[LogLine]:
    src = DockerLogSource(PROJECT)
    try:
        return read_lines(src, services, window or LogWindow(), LineMaker())
    finally:
        src.close()


def test_two_services_merge_in_time_order_and_match_docker_logs(logs_project: Path) -> None:
    lines = _history()
    assert {x.service for x in lines} == {"chatter", "ticker"}
    assert [x.ts_ns for x in lines] == sorted(x.ts_ns for x in lines)
    services = [x.service for x in lines if "tick" in x.text]
    assert any(a != b for a, b in itertools.pairwise(services)), "not interleaved"
    # Every ticker line we read is a line the docker CLI reads too, in the same order.
    ours = [x.text for x in lines if x.service == "ticker"]
    theirs = set(_docker_logs(f"{PROJECT}-ticker-1"))
    assert ours and all(t in theirs for t in ours)
    assert {x.stream for x in lines if x.service == "ticker"} == {"stdout", "stderr"}
    # None lost. Order holds within a stream: the daemon reads stdout and stderr
    # through two pipes, so an odd (stderr) tick can be stamped before the even one.
    for stream, parity in (("stdout", 0), ("stderr", 1)):
        numbers = [int(x.text.rsplit(" ", 1)[1]) for x in lines
                   if x.service == "ticker" and x.stream == stream]  # fmt: skip
        assert numbers and all(n % 2 == parity for n in numbers)
        assert numbers == list(range(numbers[0], numbers[0] + 2 * len(numbers), 2))


def test_regex_filter_keeps_exactly_the_matching_lines(logs_project: Path) -> None:
    lines = _history(("ticker",))
    flt = LineFilter(r"tick \d*7$", regex=True)
    shown = [x.text for x in lines if flt.matches(x)]
    expected = [x.text for x in lines if re.search(r"tick \d*7$", x.text)]
    assert shown == expected and len(shown) >= 2
    assert all(t.endswith("7") for t in shown)


def test_level_filter_on_plain_key_value_and_json_lines(logs_project: Path) -> None:
    lines = _history(("chatter",))
    # Sorted: lines of stdout and stderr written in turn can be stamped either way round.
    errors = [x.text for x in lines if LineFilter(level=Level.ERROR).matches(x)]
    assert sorted(errors) == sorted(
        [
            "2026-12-01 14:00:00,000 - chatter - ERROR - plain error line",
            'time="2026-12-01T14:00:00Z" level=error msg="kv error line"',
            '{"level":"error","msg":"json error line"}',
        ]
    )
    warn = [x.text for x in lines if LineFilter(level=Level.WARN).matches(x)]
    assert 'level=warn msg="kv warn line"' in warn and len(warn) == 4
    debug = {x.text for x in lines if LineFilter(level=Level.DEBUG).matches(x)}
    assert '{"level":"debug","msg":"json debug line"}' in debug
    assert "plain info line" in " ".join(debug)


def test_a_1mb_line_is_cut_with_a_marker_and_the_next_line_follows(logs_project: Path) -> None:
    lines = _history(("chatter",))
    big = [i for i, x in enumerate(lines) if x.text.startswith("xxxx")]
    assert len(big) == 1, "the 1 MB line must arrive as one line"
    text = lines[big[0]].text
    assert text == "x" * 16384 + f"… [line cut: {BIG - 16384} more bytes]"
    after = [x.text for x in lines[big[0] + 1 :] if x.stream == "stdout"]
    assert after[0] == "after big line"


def test_escapes_and_markup_arrive_inert(logs_project: Path) -> None:
    (evil,) = [x for x in _history(("chatter",)) if x.text.startswith("evil")]
    assert "\x1b" not in evil.text and "\x07" not in evil.text
    assert "pwned-title" not in evil.text and "cHduZWQ=" not in evil.text
    assert evil.text == "evil   [@click=app.quit]x[/] [bold]y[/nope] end"


def test_tail_and_since_windows(logs_project: Path) -> None:
    tail = _history(("ticker",), LogWindow(tail=5))
    assert len(tail) == 5
    since = _history(("ticker",), LogWindow(since_ns=time.time_ns() - 1_000_000_000))
    assert 5 <= len(since) <= 40  # ~20 lines/s for the last second
    assert all(x.ts_ns >= time.time_ns() - 5_000_000_000 for x in since)


def _boots(lines: list[LogLine]) -> dict[str, list[int]]:
    out: dict[str, list[int]] = {}
    for x in lines:
        m = re.fullmatch(r"ticker (\w+) tick (\d+)", x.text)
        if m:
            out.setdefault(m[1], []).append(int(m[2]))
    return out


def _has_ticks(buf: LogBuffer, boot: int, upto: int) -> bool:
    """Whether the `boot`-th boot seen has every tick 0..upto."""
    boots = list(_boots(list(buf)).values())
    return len(boots) > boot and set(range(upto + 1)) <= set(boots[boot])


def test_follow_survives_restart_and_recreate_without_gaps_or_repeats(logs_project: Path) -> None:
    ready = threading.Event()
    src = DockerLogSource(PROJECT, rescan=2.0)
    feed = LogFeed(src, ("ticker",), LogWindow(tail=3), LineMaker(), on_ready=ready.set)
    buf = LogBuffer()

    def pump(until, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while not until():
            seen = {boot: sorted(ticks)[:24] for boot, ticks in _boots(list(buf)).items()}
            assert time.monotonic() < deadline, f"timed out; ticks seen per boot: {seen}"
            ready.wait(0.2)
            ready.clear()
            batch = feed.take()
            buf.discard_incoming(batch.dropped)
            buf.add(batch.lines)

    feed.start()
    try:
        pump(lambda: len(_boots(list(buf))) == 1 and len(buf) >= 10)
        subprocess.run(["docker", "restart", "-t", "1", f"{PROJECT}-ticker-1"], check=True,
                       capture_output=True, timeout=60)  # fmt: skip
        pump(lambda: _has_ticks(buf, boot=1, upto=12))
        old_id = subprocess.run(
            ["docker", "inspect", "-f", "{{.Id}}", f"{PROJECT}-ticker-1"],
            capture_output=True, text=True, check=True,
        ).stdout.strip()  # fmt: skip
        _compose(logs_project, "up", "-d", "--force-recreate", "ticker")
        pump(lambda: _has_ticks(buf, boot=2, upto=12))
    finally:
        feed.stop()
    lines = list(buf)
    assert buf.dropped == 0
    assert [x.ts_ns for x in lines] == sorted(x.ts_ns for x in lines)
    boots = _boots(lines)
    first, second, third = boots.values()
    # The restarted and the recreated containers are read from their first line on.
    assert min(second) == 0 and min(third) == 0
    # Nothing repeated, nothing missing (the first few of the tail=3 window aside:
    # `tail` counts entries in file order, which may leave out one of the other stream).
    first = [n for n in first if n >= min(first) + 4]
    # The pump waited for ticks 0-12 of the later boots; a lost line would have timed it
    # out. Odd ticks go to stderr, so one stream may run a line ahead of the other at the
    # moment we stop: only the complete prefix is compared.
    second = [n for n in second if n <= 12]
    third = [n for n in third if n <= 12]
    for numbers in (first, second, third):
        assert len(set(numbers)) == len(numbers)
        assert sorted(numbers) == list(range(min(numbers), min(numbers) + len(numbers)))
    assert len({x.container for x in lines}) == 1  # recreated under the same name ...
    new_id = subprocess.run(
        ["docker", "inspect", "-f", "{{.Id}}", f"{PROJECT}-ticker-1"],
        capture_output=True, text=True, check=True,
    ).stdout.strip()  # fmt: skip
    assert new_id != old_id  # ... but a new container


# --- the headless command -----------------------------------------------------------------


def _arctui(directory: Path, *args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    cmd = [
        sys.executable, "-m", "arctui", "--project-dir", str(directory), "-p", PROJECT,
        "-f", str(directory / "docker-compose.yml"), "logs", *args,
    ]  # fmt: skip
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, cwd=REPO_ROOT)


def test_cli_prints_filtered_tagged_lines_and_exit_codes(logs_project: Path) -> None:
    res = _arctui(logs_project, "--level", "error", "chatter")
    assert res.returncode == 0, res.stderr
    out = res.stdout.splitlines()
    assert len(out) == 3 and all(" chatter " in x for x in out)
    assert any(x.endswith('! {"level":"error","msg":"json error line"}') for x in out)  # stderr
    assert any(x.endswith("| 2026-12-01 14:00:00,000 - chatter - ERROR - plain error line")
               for x in out)  # fmt: skip
    res = _arctui(logs_project, "--grep", "no such line anywhere")
    assert res.returncode == 1 and res.stdout == ""
    assert _arctui(logs_project, "--grep", "(bad").returncode == 2
    assert _arctui(logs_project, "nosuchservice").returncode == 2
    res = _arctui(logs_project, "--json", "--tail", "4", "--grep", "tick", "ticker")
    rows = [json.loads(x) for x in res.stdout.splitlines()]
    assert len(rows) == 4 and {r["service"] for r in rows} == {"ticker"}
    assert [r["ts"] for r in rows] == sorted(r["ts"] for r in rows)


def test_cli_follow_prints_new_lines_until_stopped(logs_project: Path) -> None:
    cmd = [
        sys.executable, "-m", "arctui", "--project-dir", str(logs_project), "-p", PROJECT,
        "-f", str(logs_project / "docker-compose.yml"), "logs", "--follow", "--tail", "1",
        "--no-timestamps", "chatter",
    ]  # fmt: skip
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            cwd=REPO_ROOT)  # fmt: skip
    lines: list[str] = []

    def collect() -> None:
        for line in proc.stdout or ():
            lines.append(line)

    reader = threading.Thread(target=collect, daemon=True)
    reader.start()
    try:  # until ten ticks arrived (five a second), not a fixed 4 s
        deadline = time.monotonic() + 30
        while sum(" tick " in x for x in lines) < 10 and proc.poll() is None:
            assert time.monotonic() < deadline, f"no ten ticks followed: {lines}"
            time.sleep(0.1)
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        reader.join(timeout=30)
    err = proc.stderr.read() if proc.stderr else ""
    ticks = [int(x.rsplit(" ", 1)[1]) for x in lines if " tick " in x]
    assert proc.returncode == 0, err
    assert len(ticks) >= 10 and ticks == list(range(ticks[0], ticks[0] + len(ticks)))


@pytest.mark.skipif(
    shutil.which("tmux") is None and os.environ.get("CI", "").lower() != "true",
    reason="tmux not installed (scripts/test.sh installs it; in CI this fails)",
)
def test_terminal_title_and_clipboard_unchanged_through_tmux(logs_project: Path) -> None:
    """The evil line through `arctui logs` leaves tmux's title and paste buffer alone;
    the same line through `docker logs` changes both (so the check can fail)."""
    session = f"arctui-logs-{uuid.uuid4().hex[:8]}"
    sockets: list[str] = []

    def run_in_tmux(command: str) -> tuple[str, str]:
        sockets.append(f"arctui-logs-{uuid.uuid4().hex[:8]}")  # a fresh server each time
        tmux = ["tmux", "-L", sockets[-1]]
        subprocess.run(
            [*tmux, "-f", "/dev/null", "new-session", "-d", "-s", session, "-x", "200", "-y", "50"],
            check=True,
        )
        subprocess.run([*tmux, "set", "-g", "set-clipboard", "on"], check=True)
        subprocess.run([*tmux, "set", "-g", "allow-rename", "on"], check=True)
        subprocess.run([*tmux, "select-pane", "-t", session, "-T", "clean-title"], check=True)
        subprocess.run([*tmux, "send-keys", "-t", session, f"{command}; echo DONE-MARK", "Enter"],
                       check=True)  # fmt: skip
        deadline = time.monotonic() + 60
        while True:
            pane = subprocess.run([*tmux, "capture-pane", "-p", "-t", session],
                                  capture_output=True, text=True).stdout  # fmt: skip
            if re.search(r"^DONE-MARK", pane, re.MULTILINE):
                break
            assert time.monotonic() < deadline, pane
            time.sleep(0.2)
        title = subprocess.run([*tmux, "display", "-p", "-t", session, "#{pane_title}"],
                               capture_output=True, text=True).stdout.strip()  # fmt: skip
        buffers = subprocess.run([*tmux, "list-buffers"], capture_output=True, text=True).stdout
        return title, buffers

    arctui = " ".join(
        [sys.executable, "-m", "arctui", "--project-dir", str(logs_project), "-p", PROJECT,
         "-f", str(logs_project / "docker-compose.yml"), "logs", "--grep", "evil", "chatter"]
    )  # fmt: skip
    try:
        title, buffers = run_in_tmux(f"cd {REPO_ROOT} && {arctui}")
        assert title == "clean-title" and buffers == ""
        title, buffers = run_in_tmux(f"docker logs {PROJECT}-chatter-1 2>&1 | grep evil")
        assert title == "pwned-title" or buffers != "", "control: raw output must reach tmux"
    finally:
        for sock in sockets:
            subprocess.run(["tmux", "-L", sock, "kill-server"], capture_output=True)
