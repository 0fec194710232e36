"""Docker credential helpers: `docker-credential-<name> get`, the registry on stdin.

The Docker config names them with `credsStore` (every registry) and `credHelpers`
(registry -> helper, which wins), as the docker CLI reads them. A helper is a program on
PATH that prints `{"ServerURL", "Username", "Secret"}`; "credentials not found" (its
documented answer for an unknown registry) means anonymous. It runs in its own session
with a timeout that kills its whole group (a helper waiting for a keychain prompt must
not hang the images check). Its output is never shown: it holds the secret. No Textual.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import subprocess
from collections.abc import Mapping

from arctui.sources.procs import kill_group
from arctui.text import one_line

HELPER_TIMEOUT = 10.0
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")  # a program name, never a path
_OUTPUT_LIMIT = 1 << 16
HUB_SERVER = "https://index.docker.io/v1/"  # what the docker CLI asks helpers for Hub


class HelperError(Exception):
    """The helper could not be run or gave no usable answer (the message says why)."""


def valid_name(name: str) -> bool:
    """A helper name the config may give (`desktop`, `ecr-login`, `pass`)."""
    return bool(_NAME.match(name))


def helper_get(
    name: str,
    server: str,
    environ: Mapping[str, str] | None = None,
    timeout: float = HELPER_TIMEOUT,
) -> tuple[str, str] | None:
    """(username, secret) from `docker-credential-<name> get`, or None when the helper
    has none for `server`. Raises HelperError."""
    program = f"docker-credential-{name}"
    if not valid_name(name):
        raise HelperError(f"credential helper name {one_line(name, 40)!r} is not a program name")
    env = dict(os.environ if environ is None else environ)
    path = shutil.which(program, path=env.get("PATH", os.defpath))
    if path is None:
        raise HelperError(f"credential helper {program} is not on PATH")
    try:
        proc = subprocess.Popen(
            [path, "get"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=env,
            start_new_session=True,  # a timeout kills the helper and whatever it started
        )
    except OSError as exc:
        raise HelperError(f"{program} could not start: {exc.strerror or exc}") from None
    try:
        out, err = proc.communicate(server.encode("utf-8"), timeout=timeout)
    except subprocess.TimeoutExpired:
        kill_group(proc)
        with contextlib.suppress(Exception):
            proc.communicate(timeout=5)
        raise HelperError(f"{program} did not answer within {timeout:g} s") from None
    text = out[:_OUTPUT_LIMIT].decode("utf-8", "replace")
    if proc.returncode != 0:
        said = (text + " " + err[:2000].decode("utf-8", "replace")).lower()
        if "credentials not found" in said:
            return None
        raise HelperError(f"{program} get failed (exit {proc.returncode})")
    try:
        data = json.loads(text)
    except ValueError:
        data = None
    if not isinstance(data, dict):
        raise HelperError(f"{program} get printed no JSON object")
    user, secret = str(data.get("Username") or ""), str(data.get("Secret") or "")
    if not secret:
        return None
    if user == "<token>":
        raise HelperError(f"{program} gave an identity token; arctui does not use those")
    return user, secret
