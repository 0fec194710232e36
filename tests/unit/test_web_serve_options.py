"""`arctui serve` refuses a non-loopback bind unless asked, warns when asked, forwards the
run's options to each browser session, and accepts only same-origin websockets."""

from __future__ import annotations

import sys

import pytest

from arctui.cli import build_parser, main
from arctui.web import allowed_origin, app_argv, app_command, is_loopback, remote_warning


@pytest.mark.parametrize("host", ["127.0.0.1", "127.1.2.3", "::1", "[::1]", "localhost"])
def test_loopback(host: str) -> None:
    assert is_loopback(host)


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "10.0.0.5", "192.168.1.1", "example.com", ""])
def test_not_loopback(host: str) -> None:
    assert not is_loopback(host)


def test_a_non_loopback_bind_is_refused_without_the_flag(capsys) -> None:
    assert main(["--demo", "serve", "--host", "0.0.0.0"]) == 2
    err = capsys.readouterr().err
    assert "refusing to listen on 0.0.0.0" in err and "--allow-remote" in err


def test_the_warning_says_what_is_exposed() -> None:
    text = remote_warning("0.0.0.0", 8000, read_only=False)
    assert "no login" in text and "ssh -L 8000:127.0.0.1:8000" in text
    assert "--read-only" in text
    assert "(read-only)" in remote_warning("0.0.0.0", 8000, read_only=True)


def test_serve_defaults_to_loopback_port_8000() -> None:
    args = build_parser().parse_args(["serve"])
    assert (args.host, args.port, args.allow_remote) == ("127.0.0.1", 8000, False)
    with pytest.raises(SystemExit):
        build_parser().parse_args(["serve", "--port", "70000"])


def test_each_browser_session_gets_the_same_options(tmp_path) -> None:
    argv = ["--env", "prod", "--read-only", "--theme", "arc-16", "--keymap", "k9s",
            "--project-dir", str(tmp_path), "-p", "arc", "-f", "a.yml", "serve"]  # fmt: skip
    args = build_parser().parse_args(argv)
    forwarded = app_argv(args)
    assert forwarded[:2] == ["--env", "prod"]
    assert "--read-only" in forwarded and "serve" not in forwarded
    assert forwarded[forwarded.index("-f") + 1].endswith("/a.yml")  # absolute
    assert forwarded[forwarded.index("--project-dir") + 1] == str(tmp_path.resolve())
    assert app_command(args).startswith(f"{sys.executable} -m arctui ")


@pytest.mark.parametrize(
    ("origin", "host", "loopback", "ok"),
    [
        ("http://127.0.0.1:8000", "127.0.0.1:8000", True, True),
        ("http://localhost:8000", "localhost:8000", True, True),
        ("http://attacker.example", "127.0.0.1:8000", True, False),  # another site's page
        ("http://127.0.0.1:9999", "127.0.0.1:8000", True, False),
        ("http://rebound.example:8000", "rebound.example:8000", True, False),  # DNS rebinding
        (None, "127.0.0.1:8000", True, False),
        ("file://", "127.0.0.1:8000", True, False),
        ("http://ops.example:8000", "ops.example:8000", False, True),  # --allow-remote
        ("http://attacker.example", "ops.example:8000", False, False),
    ],
)
def test_websocket_origin(origin, host, loopback, ok) -> None:
    assert allowed_origin(origin, host, loopback) is ok


def test_textual_serve_is_not_imported_by_the_cli() -> None:
    import subprocess

    code = "import sys, arctui.cli; print('textual_serve' in sys.modules, 'aiohttp' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"]
