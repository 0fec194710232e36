"""Secret recognition, value masking and free-text redaction."""

from __future__ import annotations

import time

import pytest

from arctui.config.masking import MASK, Redactor, is_secret_key, mask_value, url_passwords
from arctui.models import EnvValue

PLATFORM_SECRETS = [
    "POSTGRES_PASSWORD",
    "INFISICAL_ENCRYPTION_KEY",
    "INFISICAL_AUTH_SECRET",
    "UNLEASH_ADMIN_TOKEN",
    "UNLEASH_CLIENT_TOKENS",
    "GRAFANA_ADMIN_PASSWORD",
    "KRATOS_SECRET_COOKIE",
    "KRATOS_SECRET_CIPHER",
    "LIVEKIT_API_KEY",
    "LIVEKIT_API_SECRET",
    "REDIS_PASSWORD",
]
OTHER_SECRETS = [
    "redis_password",  # case-insensitive
    "apiKey",
    "X-API-Key",
    "Authorization",
    "REDIS_AUTH",
    "DB_PASS",
    "MYSQL_ROOT_PASSWD",
    "DBPASSWORD",
    "SENTRY_DSN",
    "JWT_PRIVATE_KEY",
    "GOOGLE_CREDENTIALS",
    "SESSION_SALT",
    "API_KEY_2",
]
NOT_SECRETS = [
    "POSTGRES_USER",
    "POSTGRES_DB",
    "LOG_LEVEL",
    "NATS_URL",
    "OTEL_EXPORTER_OTLP_ENDPOINT",
    "REDIS_PORT",
    "REDIS_MAXMEMORY",
    "REDIS_HOST",
    "GRAFANA_ADMIN_USER",
    "KEY_PREFIX",
    "PARTITION_KEY",
    "key",
    "PWD",
    "POSTGRES_PASSWORD_FILE",
    "AUTH_ENABLED",
    "TOKEN_TTL",
    "TOKENIZERS_PARALLELISM",
]


@pytest.mark.parametrize("key", PLATFORM_SECRETS + OTHER_SECRETS)
def test_secret_names_are_recognised(key: str) -> None:
    assert is_secret_key(key) is True
    assert mask_value(key, "s3cret-value") == MASK


@pytest.mark.parametrize("key", NOT_SECRETS)
def test_ordinary_names_are_not_secret(key: str) -> None:
    assert is_secret_key(key) is False
    assert mask_value(key, "plain-value") == "plain-value"


def test_mask_has_fixed_width_and_empty_stays_empty() -> None:
    assert mask_value("POSTGRES_PASSWORD", "x") == mask_value("POSTGRES_PASSWORD", "x" * 64)
    assert mask_value("POSTGRES_PASSWORD", "") == ""


def test_url_password_is_masked_in_non_secret_value() -> None:
    assert (
        mask_value("DATABASE_URL", "postgres://arc:s3cret@arc-oracle-sql:5432/arc_db")
        == f"postgres://arc:{MASK}@arc-oracle-sql:5432/arc_db"
    )
    assert mask_value("REDIS_URL", "redis://:pw123@cache:6379/0") == f"redis://:{MASK}@cache:6379/0"


def test_url_without_password_is_unchanged() -> None:
    assert mask_value("NATS_URL", "nats://arc-flash-pulse:4222") == "nats://arc-flash-pulse:4222"
    assert mask_value("AMQP_URL", "amqp://guest@host/") == "amqp://guest@host/"


def test_url_password_containing_at_sign_is_masked_whole() -> None:
    assert mask_value("DSN_URL", "postgres://arc:p@ss@db/x") == f"postgres://arc:{MASK}@db/x"


def test_url_passwords_are_extracted_raw_and_decoded() -> None:
    assert url_passwords("see postgres://arc:p%40ss@db/x and http://host/") == ["p%40ss", "p@ss"]


def test_redactor_replaces_known_values_and_patterns() -> None:
    redactor = Redactor(["hunter22", "abc"])  # 'abc' too short to redact safely
    text = (
        "login hunter22 failed for abc; url=redis://:pw9876@cache:6379/0 "
        "POSTGRES_PASSWORD=xyz LOG_LEVEL=info "
        '{"password": "pw", "user": "arc"} Authorization: Bearer abcdefghijk token=t0k3n&x=1'
    )
    assert redactor.redact(text) == (
        f"login {MASK} failed for abc; url=redis://:{MASK}@cache:6379/0 "
        f"POSTGRES_PASSWORD={MASK} LOG_LEVEL=info "
        f'{{"password": "{MASK}", "user": "arc"}} Authorization: Bearer {MASK} token={MASK}&x=1'
    )


def test_redactor_catches_percent_encoded_secret_and_longest_first() -> None:
    redactor = Redactor(["p@ss word", "secretvalue", "secret"])
    assert redactor.redact("q=p%40ss%20word x") == f"q={MASK} x"
    assert redactor.redact("is secretvalue here") == f"is {MASK} here"


def test_redactor_is_idempotent_and_keeps_newlines() -> None:
    redactor = Redactor(["hunter22"])
    once = redactor.redact("PASSWORD=hunter22\nNEXT=1\nAPI_KEY=\n")
    assert once == f"PASSWORD={MASK}\nNEXT=1\nAPI_KEY=\n"
    assert redactor.redact(once) == once


def test_redactor_masks_yaml_style_pairs() -> None:
    assert Redactor().redact("password: hunter2\nuser: arc") == f"password: {MASK}\nuser: arc"


def test_redactor_from_env_uses_secret_values_and_url_passwords() -> None:
    values = [
        EnvValue("POSTGRES_PASSWORD", "pgsecret1", ".env", secret=True),
        EnvValue("POSTGRES_USER", "arcuser", ".env"),
        EnvValue("CACHE_URL", "redis://:cachepw1@cache", ".env"),
    ]
    redactor = Redactor.from_env(values)
    assert redactor.redact("pgsecret1 arcuser cachepw1") == f"{MASK} arcuser {MASK}"


@pytest.mark.parametrize(
    "line",
    ["a." * 8000, "a-" * 8000, "x://u:" * 2700, "k: " * 5000, "-" * 16000, "a=" * 8000],
    ids=["dots", "dashes", "url-heads", "colon-pairs", "dash-run", "equals"],
)
def test_redaction_stays_linear_on_hostile_lines(line: str) -> None:
    # A quadratic pattern took ~2 s on one 16 KiB line; the UI redacts log lines live.
    start = time.perf_counter()
    Redactor(["hunter22"]).redact(line)
    assert time.perf_counter() - start < 0.5


# --- a secret's name is never masked (issue 18.12) -----------------------------------------

COMPOSE_MISSING = (
    "error while interpolating services.db.environment.POSTGRES_PASSWORD:"
    " required variable POSTGRES_PASSWORD is missing a value"
)


@pytest.mark.parametrize(
    "line",
    [
        COMPOSE_MISSING,
        COMPOSE_MISSING + ": set it in .env",
        "POSTGRES_PASSWORD: required variable POSTGRES_PASSWORD is missing a value: set it",
        "bash: line 3: POSTGRES_PASSWORD: unbound variable",
        "REDIS_PASSWORD: parameter null or not set",
    ],
)
def test_an_error_about_a_secret_variable_is_shown_whole(line: str) -> None:
    # Compose's own message lost its word "required" to the mask.
    assert Redactor(["hunter22"]).redact(line) == line


@pytest.mark.parametrize(
    ("line", "masked"),
    [
        ("POSTGRES_PASSWORD: hunter23", f"POSTGRES_PASSWORD: {MASK}"),
        ("  password: the-password", f"  password: {MASK}"),
        ("db.password: requiredness", f"db.password: {MASK}"),
        ('"REDIS_PASSWORD": "required variable"', f'"REDIS_PASSWORD": "{MASK}"'),
        ("REDIS_PASSWORD=required variable", f"REDIS_PASSWORD={MASK} variable"),
    ],
)
def test_real_secret_values_next_to_a_name_are_still_masked(line: str, masked: str) -> None:
    assert Redactor().redact(line) == masked


def test_a_known_secret_is_masked_even_inside_an_error_message() -> None:
    line = "POSTGRES_PASSWORD: required variable POSTGRES_PASSWORD is hunter22"
    assert "hunter22" not in Redactor(["hunter22"]).redact(line)


@pytest.mark.parametrize(
    "name", ["expired_keys", "evicted_keys", "tracking_total_keys", "slave_expires_tracked_keys"]
)
def test_redis_key_counters_are_not_secrets(name: str) -> None:
    # The diagnostics bundle's INFO masked these counters as credentials.
    assert not is_secret_key(name)
    assert Redactor().redact(f"{name}:1234") == f"{name}:1234"


@pytest.mark.parametrize("name", ["ENCRYPTION_KEYS", "SIGNING_KEYS", "API_KEYS", "jwt_keys"])
def test_plural_credential_keys_stay_secret(name: str) -> None:
    assert is_secret_key(name)


@pytest.mark.parametrize("secret", ["p<a>ss&word", "a&amp;b<<x", "x>y&z\"'q"])
def test_a_secret_is_masked_in_its_html_escaped_form_too(secret: str) -> None:
    import html

    redactor = Redactor([secret])
    escaped = html.escape(secret, quote=False)
    assert redactor.redact_known(f"<text>{escaped}</text> and {secret}") == (
        f"<text>{MASK}</text> and {MASK}"
    )


def test_a_value_learned_after_a_redaction_is_masked_from_then_on() -> None:
    redactor = Redactor(["firstsecret"])
    assert redactor.redact_known("a firstsecret b") == f"a {MASK} b"
    redactor.learn(["secondsecret"])
    assert redactor.redact_known("firstsecret secondsecret") == f"{MASK} {MASK}"
    redactor.learn(["secondsecret"])  # nothing new: still both
    assert redactor.redact_known("secondsecret-firstsecret") == f"{MASK}-{MASK}"


def test_learning_in_many_batches_compiles_the_pattern_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A session learns a batch per container and env file: compiling the alternation of
    every known value at each batch cost `status` several ms (once per redaction now)."""
    import arctui.config.masking as masking

    compiled: list[str] = []
    real = masking.re.compile

    def counting(pattern: str, *args: object) -> object:
        compiled.append(pattern)
        return real(pattern, *args)  # type: ignore[arg-type]

    redactor = Redactor()
    monkeypatch.setattr(masking.re, "compile", counting)
    for i in range(20):
        redactor.learn([f"secret-value-{i}"])
    assert compiled == []
    assert redactor.redact_known("x secret-value-7 y secret-value-19") == f"x {MASK} y {MASK}"
    assert redactor.redact_known("secret-value-3") == MASK
    assert len(compiled) == 1
