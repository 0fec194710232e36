"""`arctui serve` in a real headless Chromium (Debian's `chromium`), against the test stack.

The browser loads the page from a loopback port, the page's xterm.js draws what the
arctui process behind the websocket renders, and the test reads the terminal's screen
buffer through the DevTools protocol: the Services tab lists the test stack's services;
pressing `2` in the page switches to the Resources tab. Chromium resolves every name but
the loopback address to nothing, so the page can reach nothing else.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.integration.stack import REPO_ROOT, RunningStack, compose_env

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    # The page links a web font; nothing may leave the machine.
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
    "--window-size=1600,1000",
)
# Captures the xterm.js Terminal when the page's client stores it (`this.terminal = ...`):
# its buffer is what the canvas shows.
CAPTURE = """
Object.defineProperty(Object.prototype, "terminal", {
  configurable: true,
  set(value) {
    Object.defineProperty(this, "terminal", {value, writable: true, configurable: true,
                                             enumerable: true});
    if (value && value.buffer) { window.__arcTerminal = value; }
  },
});
"""
SCREEN = """
(() => {
  const t = window.__arcTerminal;
  if (!t) return null;
  const b = t.buffer.active, out = [];
  for (let y = 0; y < t.rows; y++) {
    const line = b.getLine(b.viewportY + y);
    out.push(line ? line.translateToString(true) : "");
  }
  return out.join("\\n");
})()
"""

pytestmark = pytest.mark.skipif(
    not Path(CHROMIUM).exists() and os.environ.get("CI", "").lower() != "true",
    reason="chromium is not installed (scripts/test.sh installs it)",
)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_port(port: int, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise AssertionError(f"nothing listens on 127.0.0.1:{port}")


def stop(proc: subprocess.Popen[bytes]) -> None:
    """End a process we started and its children (its own process group)."""
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(10)


@pytest.fixture
def served(test_stack: RunningStack, tmp_path: Path) -> Iterator[int]:
    port = free_port()
    env = {
        **compose_env(),
        "XDG_STATE_HOME": str(tmp_path / "state"),
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
    }
    args = ["--project-dir", str(test_stack.stack_dir), "-p", test_stack.project,
            "-f", str(test_stack.compose_file), "serve", "--port", str(port)]  # fmt: skip
    log = (tmp_path / "serve.log").open("wb")
    proc = subprocess.Popen(
        [sys.executable, "-m", "arctui", *args],
        cwd=REPO_ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        wait_port(port)
        yield port
    finally:
        stop(proc)
        log.close()


@pytest.fixture
def chromium(tmp_path: Path) -> Iterator[int]:
    """A headless Chromium with DevTools on a loopback port; yields that port."""
    profile = tmp_path / "chromium"
    proc = subprocess.Popen(
        [CHROMIUM, *CHROMIUM_FLAGS, f"--user-data-dir={profile}",
         "--remote-debugging-address=127.0.0.1", "--remote-debugging-port=0", "about:blank"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        stdin=subprocess.DEVNULL,
        start_new_session=True,
    )  # fmt: skip
    try:
        active = profile / "DevToolsActivePort"
        deadline = time.monotonic() + 30
        while not (active.exists() and active.read_text().strip()):
            assert proc.poll() is None, "chromium exited"
            assert time.monotonic() < deadline, "chromium gave no DevTools port"
            time.sleep(0.1)
        yield int(active.read_text().split()[0])
    finally:
        stop(proc)


class Page:
    """One tab of the browser, driven over the DevTools protocol."""

    def __init__(self, ws) -> None:
        self.ws = ws
        self.next_id = 0
        self.requested: list[str] = []  # every URL the page asked for

    async def call(self, method: str, **params) -> dict:
        self.next_id += 1
        await self.ws.send_json({"id": self.next_id, "method": method, "params": params})
        while True:
            message = await self.ws.receive_json(timeout=30)
            if message.get("method") == "Network.requestWillBeSent":
                self.requested.append(message["params"]["request"]["url"])
            elif message.get("method") == "Network.webSocketCreated":
                self.requested.append(message["params"]["url"])
            if message.get("id") == self.next_id:
                assert "error" not in message, message
                return message.get("result", {})

    async def screen(self) -> str:
        result = await self.call("Runtime.evaluate", expression=SCREEN, returnByValue=True)
        return result.get("result", {}).get("value") or ""

    async def wait_text(self, *needles: str, timeout: float = 60) -> str:
        deadline = time.monotonic() + timeout
        text = ""
        while time.monotonic() < deadline:
            text = await self.screen()
            if all(n in text for n in needles):
                return text
            await asyncio.sleep(0.25)
        raise AssertionError(f"{needles} not on the page; it shows:\n{text}")

    async def key(self, char: str) -> None:
        for kind in ("keyDown", "keyUp"):
            params = {"type": kind, "key": char}
            if kind == "keyDown":
                params["text"] = char
            await self.call("Input.dispatchKeyEvent", **params)


async def drive(devtools: int, port: int) -> tuple[str, str, list[str]]:
    import aiohttp

    async with aiohttp.ClientSession() as http:
        async with http.get(f"http://127.0.0.1:{devtools}/json/list") as response:
            targets = await response.json(content_type=None)
        url = next(t for t in targets if t["type"] == "page")["webSocketDebuggerUrl"]
        async with http.ws_connect(url, max_msg_size=0) as ws:
            page = Page(ws)
            await page.call("Page.enable")
            await page.call("Runtime.enable")
            await page.call("Network.enable")
            await page.call("Page.addScriptToEvaluateOnNewDocument", source=CAPTURE)
            await page.call("Page.navigate", url=f"http://127.0.0.1:{port}/")
            services = await page.wait_text("1 Services", "2 Resources", "redis", "raymond")
            await page.call("Runtime.evaluate", expression="window.__arcTerminal.focus()")
            await page.key("2")
            resources = await page.wait_text("Container", "CPU%")
            return services, resources, page.requested


def test_the_browser_shows_the_stack_and_switches_tabs(served: int, chromium: int) -> None:
    services, resources, requested = asyncio.run(drive(chromium, served))
    assert "arctui-test" in services  # the header names the test stack's project
    assert "postgres" in services and "gateway" in services
    assert "Service" in services and "State" in services  # the Services table's columns
    assert resources != services
    assert "CPU" in resources and "CPU" not in services
    # The page, its script, styles, font and websocket: all from arctui, nothing else.
    assert any(url.endswith("/ws") or "/ws?" in url for url in requested), requested
    assert any("RobotoMono" in url for url in requested), requested
    outside = [u for u in requested if not u.startswith(f"http://127.0.0.1:{served}/")
               and not u.startswith(f"ws://127.0.0.1:{served}/")]  # fmt: skip
    assert outside == []


def test_a_page_on_another_site_cannot_open_the_websocket(served: int) -> None:
    import urllib.error
    import urllib.request

    request = urllib.request.Request(
        f"http://127.0.0.1:{served}/ws",
        headers={
            "Connection": "Upgrade",
            "Upgrade": "websocket",
            "Sec-WebSocket-Version": "13",
            "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==",
            "Origin": "http://attacker.example",
        },
    )
    with pytest.raises(urllib.error.HTTPError) as info:
        urllib.request.urlopen(request, timeout=10)
    assert info.value.code == 403
    # And the page itself is served on loopback.
    with urllib.request.urlopen(f"http://127.0.0.1:{served}/", timeout=10) as page:
        assert page.status == 200
        assert "/ws" in page.read().decode()
