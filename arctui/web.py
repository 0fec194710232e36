"""`arctui serve`: the same app in a browser, through textual-serve.

Each browser connection starts its own `arctui` process with the options `serve` was
given (same project, env, read-only switch, theme, keymap). There is no login: whoever
reaches the port operates the stack as the user running arctui. So:

- the server binds loopback by default (reach it from elsewhere with an SSH tunnel,
  `ssh -L 8000:127.0.0.1:8000 host`); any other address is refused unless
  `--allow-remote` is given, and then a warning is printed;
- a websocket is accepted only from the page arctui served: its Origin must be the
  address the page was loaded from (a web page on another site cannot drive the console
  through the operator's browser), and on a loopback bind the Host must be a loopback
  name (DNS rebinding).

textual-serve (and its aiohttp) is imported only here, only when `serve` runs.
"""

from __future__ import annotations

import ipaddress
import re
import shlex
import sys
from argparse import Namespace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

DEFAULT_PORT = 8000
LOOPBACK_NAMES = frozenset({"localhost", "localhost.", "ip6-localhost"})


def is_loopback(host: str) -> bool:
    """127.0.0.0/8, ::1 and localhost; not 0.0.0.0, :: or a hostname."""
    name = host.strip().strip("[]").lower()
    if name in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def remote_warning(host: str, port: int, read_only: bool) -> str:
    """What an operator must read before exposing the console."""
    lines = [
        f"WARNING: arctui serve is listening on {host}:{port}, not on loopback.",
        "There is no login: anyone who can reach this port operates the stack as "
        "this user"
        + (" (read-only)." if read_only else ": every action, including kill and clean."),
        f"Prefer loopback and an SSH tunnel: ssh -L {port}:127.0.0.1:{port} <this host>",
    ]
    if not read_only:
        lines.append("At least add --read-only to the options before `serve`.")
    return "\n".join(lines)


def app_argv(args: Namespace) -> list[str]:
    """The global options of this run, for each browser session's own arctui."""
    argv: list[str] = []
    if args.demo:
        argv.append("--demo")
    if args.env:
        argv += ["--env", args.env]
    if args.project_dir is not None:
        argv += ["--project-dir", str(args.project_dir.resolve())]
    for path in args.files:
        argv += ["-f", str(path if path.startswith("/") else _absolute(path))]
    if args.project_name:
        argv += ["-p", args.project_name]
    if args.read_only:
        argv.append("--read-only")
    if args.theme:
        argv += ["--theme", args.theme]
    if args.keymap:
        argv += ["--keymap", args.keymap]
    if args.refresh:
        argv += ["--refresh", str(args.refresh)]
    if args.settings is not None:
        argv += ["--settings", str(args.settings.resolve())]
    return argv


def _absolute(path: str) -> str:
    return str(Path(path).resolve())


def app_command(args: Namespace) -> str:
    """The shell command textual-serve runs per connection."""
    return shlex.join([sys.executable, "-m", "arctui", *app_argv(args)])


def allowed_origin(origin: str | None, host_header: str | None, loopback_bind: bool) -> bool:
    """Whether a websocket upgrade comes from a page this server served."""
    if not origin or not host_header:
        return False
    parts = urlsplit(origin)
    if parts.scheme not in ("http", "https") or parts.netloc.lower() != host_header.lower():
        return False  # another site's page, or a file:// page
    if loopback_bind:
        return is_loopback(parts.hostname or "")
    return True


# textual-serve's page links its font from a public CDN: an operator's page load must not
# leave the machine (air-gapped hosts, privacy). The same font ships in its static files.
_CDN_FONT = re.compile(r"<link\s+rel=\"stylesheet\"\s+href=\"https://fonts\.googleapis\.com[^>]*>")
_LOCAL_FONT = (
    "<style>@font-face { font-family: 'Roboto Mono'; "
    "src: url('{{ config.static.url }}fonts/RobotoMono-VariableFont_wght.ttf'); }</style>"
)


def offline_templates() -> Path:
    """textual-serve's page template without links off the machine, in a private folder."""
    import tempfile

    import textual_serve

    source = Path(textual_serve.__file__).parent / "templates" / "app_index.html"
    html = _CDN_FONT.sub(_LOCAL_FONT, source.read_text("utf-8"))
    folder = Path(tempfile.mkdtemp(prefix="arctui-serve-"))
    (folder / "app_index.html").write_text(html, "utf-8")
    return folder


def make_server(command: str, host: str, port: int) -> Any:
    """A textual-serve Server that serves pages for the address they were asked at and
    accepts only same-origin websockets."""
    from aiohttp import web
    from textual_serve.server import Server

    loopback = is_loopback(host)

    class GuardedServer(Server):  # type: ignore[misc]
        async def handle_index(self, request: web.Request) -> Any:
            if loopback and not is_loopback(request.url.host or ""):
                raise web.HTTPForbidden(text="arctui: loopback names only")
            # The page's websocket URL follows the address the browser used.
            self.public_url = f"{request.scheme}://{request.host}"
            return await super().handle_index(request)

        async def handle_websocket(self, request: web.Request) -> Any:
            origin = request.headers.get("Origin")
            if not allowed_origin(origin, request.host, loopback):
                raise web.HTTPForbidden(text="arctui: cross-origin websocket refused")
            return await super().handle_websocket(request)

    return GuardedServer(
        command, host=host, port=port, title="arctui", templates_path=offline_templates()
    )


def run_serve(args: Namespace) -> int:
    """`arctui serve`: refuse a non-loopback bind unless asked, then serve until Ctrl+C."""
    host, port = args.host, args.port
    if not is_loopback(host):
        if not args.allow_remote:
            print(
                f"arctui serve: refusing to listen on {host}: it is not a loopback address. "
                "There is no login; use an SSH tunnel, or pass --allow-remote if you mean it.",
                file=sys.stderr,
            )
            return 2
        print(remote_warning(host, port, args.read_only), file=sys.stderr, flush=True)
    try:
        server = make_server(app_command(args), host, port)
    except ImportError:
        print(
            "arctui serve needs textual-serve: .venv/bin/pip install textual-serve",
            file=sys.stderr,
        )
        return 2
    print(f"arctui serve: http://{_url_host(host)}:{port}/  (Ctrl+C stops)", flush=True)
    server.serve()
    return 0


def _url_host(host: str) -> str:
    return f"[{host}]" if ":" in host and not host.startswith("[") else host


def add_parser(sub: Any) -> None:
    """The `serve` subcommand."""
    serve = sub.add_parser(
        "serve",
        help="serve the TUI in a browser (textual-serve; loopback only unless --allow-remote)",
        description="Serve arctui in a web browser. Options before `serve` (--env, -f, "
        "--read-only, --demo ...) apply to every browser session. No login: keep it on "
        "loopback and use an SSH tunnel.",
    )
    serve.add_argument("--port", type=_port, default=DEFAULT_PORT, help="TCP port (8000)")
    serve.add_argument("--host", default="127.0.0.1", help="address to bind (127.0.0.1)")
    serve.add_argument(
        "--allow-remote",
        action="store_true",
        help="allow a non-loopback --host (anyone reaching it operates the stack)",
    )


def _port(value: str) -> int:
    from argparse import ArgumentTypeError

    port = int(value)
    if not 1 <= port <= 65535:
        raise ArgumentTypeError("port must be 1..65535")
    return port
