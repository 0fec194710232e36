"""Recognising secrets and hiding them before they reach a screen, log or bundle.

Two layers work together:
- `is_secret_key` / `mask_value` decide per env variable, from its name (and, for
  URLs, from the value's `user:password@` part);
- `Redactor` scrubs free text (command output, audit lines, diagnostics) using the
  secret values actually configured plus the same name-based patterns.

When in doubt a name is treated as secret: masking a harmless value costs a keystroke
to look it up, leaking a password costs a rotation.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable
from functools import lru_cache
from urllib.parse import quote, unquote

from arctui.models import ContainerInfo, EnvValue

MASK = "••••••"
MIN_SECRET_LEN = 4  # shorter values would mask ordinary words and digits everywhere
# Values a secret-named switch may hold (REDIS_AUTH=true): masking them everywhere would
# hide ordinary words, and they reveal nothing.
_NOT_SECRET_VALUES = frozenset({"true", "false", "null", "none", "yes", "no", "on", "off"})

# A word anywhere in the name makes it secret.
_SECRET_WORDS = frozenset(
    {
        "PASSWORD", "PASSWORDS", "PASSWD", "PASS", "PWD", "PASSPHRASE",
        "SECRET", "SECRETS", "TOKEN", "TOKENS", "APIKEY", "COOKIE", "COOKIES",
        "SALT", "PRIVATE", "CREDENTIAL", "CREDENTIALS", "CREDS", "DSN", "CIPHER",
    }
)  # fmt: skip
# Also caught inside a longer word (DBPASSWORD, MYSECRET).
_SECRET_SUBSTRINGS = (
    "PASSWORD", "PASSWD", "SECRET", "APIKEY", "PASSPHRASE",
    "BASICAUTH", "DIGESTAUTH",  # Traefik `...basicauth.users: admin:<htpasswd hash>`
)  # fmt: skip
# Secret only as the last word: API_KEY, ENCRYPTION_KEYS, REDIS_AUTH, Authorization.
_SECRET_LAST_WORDS = frozenset({"KEY", "KEYS", "AUTH", "AUTHORIZATION"})
# `<word>_KEY` that names a data key, not a credential.
_PLAIN_KEY_QUALIFIERS = frozenset(
    {"PARTITION", "ROUTING", "SORT", "PRIMARY", "FOREIGN", "SHARD", "PUBLIC", "CACHE"}
)
# A name ending in one of these describes a secret (where, how long, whether) but does
# not hold one: POSTGRES_PASSWORD_FILE, TOKEN_TTL, AUTH_ENABLED, TOKEN_URL.
_METADATA_LAST_WORDS = frozenset(
    {
        "FILE", "PATH", "DIR", "TTL", "EXPIRY", "EXPIRES", "EXPIRATION", "LIFETIME",
        "LIFESPAN", "TIMEOUT", "URL", "URI", "ENDPOINT", "HOST", "PORT", "ENABLED",
        "ENABLE", "DISABLED", "DISABLE", "MODE", "TYPE", "NAME", "LENGTH", "LEN", "SIZE",
        "ALGORITHM", "ALG", "ID", "PREFIX",
    }
)  # fmt: skip
_NOT_SECRET_NAMES = frozenset({"PWD", "OLDPWD"})  # the shell's working directory
# `<word>_KEYS` that counts keys (Redis INFO: expired_keys, tracking_total_keys).
_COUNTED_KEY_QUALIFIERS = frozenset(
    {"EXPIRED", "EVICTED", "TOTAL", "TRACKED", "DELETED", "LOADED", "SCANNED", "NUM", "COUNT"}
)

_CAMEL = re.compile(r"([a-z0-9])([A-Z])")
_WORD_SPLIT = re.compile(r"[^A-Z0-9]+")

# Keys and schemes may only start where a run of name characters starts: starting
# inside one too would make a long dotted line quadratic to scan.
# The password is bounded so a long line of `x://u:` without `@` stays linear too.
_URL_PASSWORD = re.compile(
    r"(?<![A-Za-z0-9+.\-])(?P<prefix>[A-Za-z][A-Za-z0-9+.\-]*://[^\s:/?#@\"'<>]*:)"
    r"(?P<password>[^\s\"'<>]{1,1024})(?=@)"
)
_ASSIGNMENT = re.compile(
    r"""(?<![\w.\-])-*(?P<key>[A-Za-z_][\w.\-]*)[ \t]*=[ \t]*"""
    r"""(?P<value>"(?:[^"\\\n]|\\.)*"|'[^'\n]*'|[^\s&,;"'<>#][^\s&,;"'<>]*)"""
)
_COLON_PAIR = re.compile(
    r"""(?<![\w.\-])(?P<q>["']?)(?P<key>[A-Za-z_][\w.\-]*)(?P=q)[ \t]*:[ \t]*"""
    r"""(?P<value>(?i:bearer|basic)[ \t]+[^\s"',;}]+|"(?:[^"\\\n]|\\.)*"|'[^'\n]*'"""
    r"""|[^\s"',;{}\[\]]+)"""
)
# htpasswd hashes (Apache MD5, bcrypt, SHA-crypt) as in Traefik basic-auth labels.
_HTPASSWD_HASH = re.compile(
    r"\$(?:apr1|2[abxy]|1|5|6)\$[./0-9A-Za-z$]{8,}|\{SHA\}[A-Za-z0-9+/=]{20,}"
)
_BEARER = re.compile(r"(?P<scheme>\b(?i:bearer|basic))[ \t]+(?P<token>[A-Za-z0-9._~+/=\-]{8,})")


def _words(key: str) -> list[str]:
    """Upper-case words of a name: `apiKey` and `X-API-Key` both give [..., 'API', 'KEY']."""
    words = _WORD_SPLIT.split(_CAMEL.sub(r"\1_\2", key).upper())
    return [w.rstrip("0123456789") for w in words if w.rstrip("0123456789")]


@lru_cache(maxsize=4096)  # the same names recur in every container, env file and snapshot
def is_secret_key(key: str) -> bool:
    """True when a variable with this name holds a secret (case-insensitive)."""
    words = _words(key)
    if not words or key.upper() in _NOT_SECRET_NAMES:
        return False
    last = words[-1]
    if len(words) > 1 and last in _METADATA_LAST_WORDS:
        return False
    if any(w in _SECRET_WORDS for w in words):
        return True
    if any(s in w for w in words for s in _SECRET_SUBSTRINGS):
        return True
    if last in ("KEY", "KEYS"):
        # A bare KEY is usually a data key (Redis, JSON); a qualified one a credential.
        qualifier = words[-2] if len(words) > 1 else ""
        if last == "KEYS" and qualifier in _COUNTED_KEY_QUALIFIERS:
            return False
        return bool(qualifier) and qualifier not in _PLAIN_KEY_QUALIFIERS
    return last in _SECRET_LAST_WORDS


def url_passwords(text: str) -> list[str]:
    """The password parts of every `scheme://user:password@` in the text, decoded too."""
    found: list[str] = []
    for m in _URL_PASSWORD.finditer(text):
        password = m["password"]
        found.append(password)
        if unquote(password) != password:
            found.append(unquote(password))
    return found


def _mask_pair(m: re.Match[str]) -> str:
    if not is_secret_key(m["key"]):
        return m[0]
    value = m["value"]
    if value.lower() in _NOT_SECRET_VALUES:  # `"postgres_dsn": null` stays valid JSON
        return m[0]
    head = m[0][: m.start("value") - m.start()]
    if value[0] in "\"'":
        return head + (value if len(value) <= 2 else f"{value[0]}{MASK}{value[0]}")
    scheme = value.split(None, 1)
    if len(scheme) == 2 and scheme[0].lower() in ("bearer", "basic"):
        return f"{head}{scheme[0]} {MASK}"
    return head + MASK


# What follows `NAME:` in an error about the variable, not its value: compose's
# `...POSTGRES_PASSWORD: required variable POSTGRES_PASSWORD is missing a value`, the
# shell's `POSTGRES_PASSWORD: unbound variable` / `parameter null or not set`.
_MESSAGE_OPENINGS = re.compile(
    r"(?:required|unbound|undefined|unset) variable\b|parameter (?:null|not set)\b"
    r"|variable is not set\b|invalid interpolation\b"
)
_MESSAGE_WINDOW = 256  # how far a message is read for the variable's name


def _is_message(m: re.Match[str]) -> bool:
    """True when the text after `NAME:` talks about the variable instead of holding it.

    Either it opens like the compose or shell error, or it names the variable again
    later on the line (a value does not repeat its own variable's name).
    """
    start = m.start("value")
    rest = m.string[start : start + _MESSAGE_WINDOW].split("\n", 1)[0]
    if _MESSAGE_OPENINGS.match(rest):
        return True
    name = m["key"].rsplit(".", 1)[-1]
    return name in (t.strip(".,:;'\"()") for t in rest.split()[1:])


def _mask_colon_pair(m: re.Match[str]) -> str:
    if is_secret_key(m["key"]) and _is_message(m):
        return m[0]
    return _mask_pair(m)


def mask_patterns(text: str) -> str:
    """Mask URL passwords, `secret_key=value`, `"secret_key": "value"` and bearer tokens."""
    text = _URL_PASSWORD.sub(lambda m: m["prefix"] + MASK, text)
    text = _ASSIGNMENT.sub(_mask_pair, text)
    text = _COLON_PAIR.sub(_mask_colon_pair, text)
    text = _HTPASSWD_HASH.sub(MASK, text)
    return _BEARER.sub(lambda m: f"{m['scheme']} {MASK}", text)


def mask_value(key: str, value: str) -> str:
    """The value as it may be shown: a fixed mask for secrets, URL passwords hidden."""
    if not value:
        return value
    if is_secret_key(key):
        return MASK  # fixed width: the mask must not reveal the secret's length
    return mask_patterns(value)


def env_secrets(pairs: Iterable[tuple[str, str]]) -> list[str]:
    """The secret values among `KEY=value` pairs: secret-named keys and URL passwords."""
    found: list[str] = []
    for key, value in pairs:
        if not value:
            continue
        if is_secret_key(key):
            found.append(value)
            # `admin:<hash>,ops:<hash>` (basic-auth users): each password on its own too.
            found += [p.partition(":")[2] for p in value.split(",") if ":" in p]
        found.extend(url_passwords(value))
    return found


def container_secrets(containers: Iterable[ContainerInfo]) -> list[str]:
    """Secret values in the containers' environment and secret-named labels."""
    found: list[str] = []
    for c in containers:
        found += env_secrets(c.env)
        found += env_secrets(c.labels.items())
    return found


def _html_escape(value: str) -> str:
    """`html.escape(value, quote=False)` without importing `html` (and its entity table)."""
    return value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


class Redactor:
    """Replaces known secret values and secret-looking patterns in free text.

    It learns more values as they become known (`learn`: the containers' environment
    arrives with each snapshot); learning and redacting are safe from any thread.
    """

    def __init__(self, values: Iterable[str] = ()) -> None:
        self._lock = threading.Lock()
        self._known: set[str] = set()
        self._pattern: re.Pattern[str] | None = None
        self.learn(values)

    @staticmethod
    def _forms(value: str) -> set[str]:
        # The same secret inside a URL or query string arrives percent-encoded; in an
        # SVG screenshot or HTML it arrives entity-escaped.
        # surrogateescape: a value from argv may hold an undecodable byte.
        quoted = quote(value, safe="", errors="surrogateescape")
        return {value, quoted, _html_escape(value)}

    def learn(self, values: Iterable[str]) -> bool:
        """Add secret values (short ones are ignored); True when any was new."""
        fresh = {
            form
            for value in values
            if len(value) >= MIN_SECRET_LEN and value.lower() not in _NOT_SECRET_VALUES
            for form in self._forms(value)
        }
        with self._lock:
            fresh -= self._known
            if not fresh:
                return False
            self._known |= fresh
            self._pattern = None  # compiled at the next redaction: a session learns often
        return True

    def _compiled(self) -> re.Pattern[str] | None:
        with self._lock:
            if self._pattern is None and self._known:
                # Longest first, so a secret containing another is replaced whole.
                ordered = sorted(self._known, key=lambda v: (-len(v), v))
                self._pattern = re.compile("|".join(map(re.escape, ordered)))
            return self._pattern

    def learn_containers(self, containers: Iterable[ContainerInfo]) -> bool:
        """Learn the secrets in the containers' environment and secret-named labels."""
        return self.learn(container_secrets(containers))

    @property
    def known(self) -> int:
        """How many secret forms are known (for tests and diagnostics)."""
        return len(self._known)

    @classmethod
    def from_env(cls, values: Iterable[EnvValue]) -> Redactor:
        """A redactor for every secret value and URL password among these env values."""
        secrets: list[str] = []
        for env_value in values:
            if env_value.secret:
                secrets.append(env_value.value)
            secrets.extend(url_passwords(env_value.value))
        return cls(secrets)

    def redact_known(self, text: str) -> str:
        """The text with every known secret value masked (no pattern guessing)."""
        pattern = self._pattern  # one read: another thread may swap it meanwhile
        if pattern is None:
            pattern = self._compiled()
        return pattern.sub(MASK, text) if pattern is not None else text

    def redact(self, text: str) -> str:
        """The text with every known secret and secret-looking pattern masked."""
        return mask_patterns(self.redact_known(text))

    __call__ = redact


# The redactor of the running session: the one every exit uses when it is not handed one
# (presenters of the table widgets, headless printers). One session per process.
_active = Redactor()


def use_redactor(redactor: Redactor) -> None:
    """Make `redactor` the process's redactor (the session does this when it is built)."""
    global _active
    _active = redactor


def active_redactor() -> Redactor:
    """The process's redactor (patterns only until a session registers its own)."""
    return _active


def redact(text: str) -> str:
    """`text` through the process's redactor (known values and patterns)."""
    return _active.redact(text)


def redact_known(text: str) -> str:
    """`text` with the process's known secret values masked (what `clean()` does)."""
    return _active.redact_known(text)
