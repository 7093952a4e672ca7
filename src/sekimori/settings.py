"""Validated configuration, loaded once at start and passed down explicitly.

All state lives in one data directory: `$SEKIMORI_HOME`, default `~/.sekimori` (keys.db, audit.db).
A YAML file (`sekimori serve --config FILE`) may set any field below; flags override it.

    server: {host: 127.0.0.1, port: 8787, max_body_bytes: 4194304, max_messages: 4096, auth: true}
    #   workers: 1                       # processes on the port (docs/scale.md)
    upstreams:
      vllm:                              # a label, named in errors and the audit trail
        url: http://127.0.0.1:8000/v1    # OpenAI base URL; a bare host:port gets /v1 appended
        api_key_env: VLLM_API_KEY        # or api_key: ...; sent as Authorization: Bearer
        connect_timeout: 5
        read_timeout: 120
        models: [qwen2.5-7b, llama-3.1-8b]   # "*" routes every model no other upstream claims
    screen: {name: policy, window_chars: 400, stride_chars: 120}   # allow: a plain proxy
    #   judge: {url: http://127.0.0.1:8000/v1, model: M}   # the cascade
    #   shared_cache: {enabled: false}   # verdicts shared in Redis: on with a Redis (docs/scale.md)
    audit: {flush_interval_ms: 100, max_pending: 1000, text: none}   # text: none | hash | text
    tenants: {acme: {audit_text: hash}}
    limits: {url: redis://127.0.0.1:6379/0}   # where rate limits count (none: in process)
    store: {url: postgresql://sekimori@db/sekimori}  # keys and audit (none: SQLite in home)
    policy_file: policy.yaml
    local_model: smollm2-135m        # the embedded model run when no upstream is set
"""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, field_validator

from sekimori.errors import ConfigError
from sekimori.home import AUDIT_DB, KEYS_DB, home_dir

AuditText = Literal["none", "hash", "text"]
ADMIN_TOKEN_ENV = "SEKIMORI_ADMIN_TOKEN"  # server.admin_token when the file sets none
STORE_URL_ENV = "SEKIMORI_STORE_URL"  # store.url when the file sets none


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ServerSettings(_Model):
    host: str = "127.0.0.1"
    port: int = Field(default=8787, ge=0, le=65535)
    max_body_bytes: int = Field(default=4 * 1024 * 1024, ge=1024)
    # Request bodies held at once, all requests together (a body without Content-Length counts
    # as max_body_bytes); one more is answered 503 with Retry-After. Each body is kept about
    # three times over while in flight (bytes, parsed text, a rewritten copy).
    max_inflight_bytes: int = Field(default=128 * 1024 * 1024, ge=1024)
    max_messages: int = Field(default=4096, ge=1)
    auth: bool = True
    # Bearer token for /admin/*; without one only callers on this machine may use them.
    admin_token: SecretStr | None = None
    # Gateway processes sharing the port (`serve --workers N`, sekimori.gateway.workers).
    workers: int = Field(default=1, ge=1, le=64)


class UpstreamSettings(_Model):
    url: str
    api_key: str | None = None
    api_key_env: str | None = None
    connect_timeout: float = Field(default=5.0, gt=0)
    read_timeout: float = Field(default=120.0, gt=0)
    models: tuple[str, ...] = ("*",)
    max_connections: int = Field(default=256, ge=1)

    @field_validator("url")
    @classmethod
    def _base_url(cls, url: str) -> str:
        return openai_base_url(url)

    def resolved_api_key(self) -> str | None:
        return resolve_api_key(self.api_key, self.api_key_env)


class JudgeSettings(_Model):
    """An LLM judge over an OpenAI-compatible endpoint for the prompts the classifier is unsure
    of (the cascade, `classify/cascade.py`): scores in `band` = [low, high) are escalated; without
    one, the band the classifier's training chose on its validation split (in `model.json`)."""

    url: str
    model: str
    api_key: str | None = None
    api_key_env: str | None = None
    band: tuple[float, float] | None = None
    timeout_s: float = Field(default=10.0, gt=0)
    concurrency: int = Field(default=4, ge=1, le=256)
    retries: int = Field(default=1, ge=0, le=10)

    @field_validator("url")
    @classmethod
    def _base_url(cls, url: str) -> str:
        return openai_base_url(url)

    @field_validator("band")
    @classmethod
    def _band(cls, band: tuple[float, float] | None) -> tuple[float, float] | None:
        if band is None:
            return None
        low, high = band
        if not 0.0 <= low < high <= 1.0:
            raise ValueError(f"[{low}, {high}) must satisfy 0 <= low < high <= 1")
        return band

    def resolved_api_key(self) -> str | None:
        return resolve_api_key(self.api_key, self.api_key_env)


class SharedCacheSettings(_Model):
    """Prompt verdicts shared by replicas through Redis (docs/scale.md, Shared verdict cache)."""

    # None: on when there is a Redis (`url` or `limits.url`); measured to pay in
    # bench/scale/VERDICTS.md. False: each process keeps only its own cache.
    enabled: bool | None = None
    # redis://, rediss:// or unix://; None: the Redis of `limits.url`.
    url: str | None = None
    ttl_s: int = Field(default=86_400, ge=1, le=30 * 86_400)
    timeout_s: float = Field(default=0.05, gt=0, le=5)  # per lookup or write; then scored here
    prefix: str = Field(default="sekimori:verdicts:", min_length=1)

    @field_validator("url")
    @classmethod
    def _redis_url(cls, url: str | None) -> str | None:
        if url is not None and not url.startswith(("redis://", "rediss://", "unix://")):
            raise ValueError(f"{url!r} is not a Redis URL (redis://HOST:6379/0)")
        return url


class ScreenSettings(_Model):
    name: str = "policy"
    window_chars: int = Field(default=400, ge=16)
    stride_chars: int = Field(default=120, ge=1)
    # Hold back up to this many characters of a stream until a screen has passed them: the
    # client never sees a violating window, at the cost of that much delay (0: forward at once).
    hold_chars: int = Field(default=0, ge=0)
    options: dict[str, Any] = Field(default_factory=dict)
    # The cascade: prompts the classifier is unsure of are decided by this LLM judge (None: off).
    judge: JudgeSettings | None = None
    shared_cache: SharedCacheSettings = SharedCacheSettings()
    # The second opinion on prompts the classifier is sure of (`classify.second_opinion`): where
    # it finds no harmful intent, a sure block is held for the answer instead (false: off).
    second_opinion: bool = True
    # The short-turn reading (`classify.short_turns`): a short turn the classifier would hold that
    # it reads as a content-free chat turn is allowed instead. Off: not adopted by its rule
    # (bench/classifier/SHORT_TURNS.md).
    short_turns: bool = False
    # The answer judge also reads an answer written as JSON, YAML, key-value lines, a table or
    # code comments as plain sentences, and keeps the higher score (`classify.answers.views`);
    # None: the judge's own setting (`prose_views` in its answers.json).
    answer_views: bool | None = None
    # The answer to a content-free "go on" turn is also read under "Continue." and keeps the
    # higher harm score (`classify.answers.judge`); off: not adopted on V9
    # (bench/answers/ROUND16.md).
    answer_continuation: bool = False


class GuardSettings(_Model):
    """A published guard model (Llama Guard, Qwen3Guard, ...) on an inference server
    (`sekimori.guards`): `kind` names its adapter, `api` how it is reached (`openai`: an
    OpenAI-compatible server such as vLLM, TGI or llama.cpp; `ollama`: Ollama's own API)."""

    kind: str
    url: str
    model: str
    api: Literal["openai", "ollama"] = "openai"
    api_key: str | None = None
    api_key_env: str | None = None
    timeout_s: float = Field(default=10.0, gt=0)
    # a probability at or above this is harmful (guards that give token probabilities)
    threshold: float = Field(default=0.5, ge=0.0, le=1.0)
    # Qwen3Guard: `controversial` counts as unsafe (the card's strict mode) when true
    strict: bool = True
    # Granite Guardian: the risk names to ask, one call each
    risks: tuple[str, ...] = ("harm",)
    # ShieldGemma: the policies to ask, one call each (empty: all four)
    policies: tuple[str, ...] = ()

    @field_validator("url")
    @classmethod
    def _url(cls, url: str) -> str:
        if not url.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        return url.rstrip("/")

    def base_url(self) -> str:
        """Where the API lives: the OpenAI base (/v1 added to a bare host) or Ollama's root."""
        return openai_base_url(self.url) if self.api == "openai" else self.url

    def resolved_api_key(self) -> str | None:
        return resolve_api_key(self.api_key, self.api_key_env)


def openai_base_url(url: str) -> str:
    """An OpenAI base URL: http(s), with a host; a bare host:port gets /v1 appended."""
    if not url.startswith(("http://", "https://")):
        raise ValueError("must start with http:// or https://")
    url = url.rstrip("/")
    head, _, path = url.partition("://")[2].partition("/")
    if not head:
        raise ValueError("has no host")
    return url if path else url + "/v1"


def resolve_api_key(api_key: str | None, api_key_env: str | None) -> str | None:
    if api_key_env:
        return os.environ.get(api_key_env) or api_key
    return api_key


class AuditSettings(_Model):
    flush_interval_ms: int = Field(default=100, ge=1, le=60_000)
    max_pending: int = Field(default=1000, ge=1)
    text: AuditText = "none"


class LimitsSettings(_Model):
    """Where rate limits and quotas are counted; the figures are in the policy (docs/limits.md)."""

    # redis://, rediss:// or unix:// for Redis shared by replicas; None: in this process.
    url: str | None = None
    prefix: str = Field(default="sekimori:limits:", min_length=1)
    lease_s: float = Field(default=30.0, gt=0.05, le=3600)  # a dead replica's slots lapse after
    timeout_s: float = Field(default=0.25, gt=0, le=30)  # per Redis call


class StoreSettings(_Model):
    """Where keys and the audit trail are kept (docs/store.md)."""

    # postgresql://user@host:port/db shared by replicas; None: SQLite files in `home`.
    # `SEKIMORI_STORE_URL` sets it when the settings do not.
    url: str | None = None
    # Audit batches that PostgreSQL could not take wait here, then replay in order.
    spool_file: str = "audit-spool.jsonl"


class DecompositionSettings(_Model):
    """The decomposition detector's settings (docs/watch.md); one left out keeps the detector's
    default (the linear reading, `power` 1). `power: 2` reads a request's evidence as the square
    of its excess over the floor; it needs its own levels (bench/watch/RESULTS.md)."""

    power: float | None = Field(default=None, gt=0)
    floor: float | None = Field(default=None, ge=0, lt=1)
    refused_weight: float | None = Field(default=None, ge=0)
    level: float | None = Field(default=None, gt=0)  # catastrophic categories
    severe_level: float | None = Field(default=None, gt=0)
    base: float | None = Field(default=None, ge=0)
    breadth_floor: float | None = Field(default=None, ge=0, le=1)
    breadth_rate: float | None = Field(default=None, gt=0, lt=1)
    breadth_level: float | None = Field(default=None, gt=0)
    # Per catastrophic category, its own level instead of `level` (e.g. {weapons.bio: 1.02});
    # none by default (bench/watch/RESULTS.md, section "Tried: anchored").
    category_levels: dict[str, float] | None = None
    # The anchored channel (off by default; `anchored: true` turns it on): a refused request
    # sure (`anchor_sure`) in its top catastrophic category, with `anchor_support` more among
    # the unit's last `anchor_window` requests in the same category (each `score -
    # anchor_floor`, summing to `anchor_level`).
    anchored: bool | None = None
    anchor_sure: float | None = Field(default=None, gt=0, le=1)
    anchor_floor: float | None = Field(default=None, ge=0, lt=1)
    anchor_window: int | None = Field(default=None, ge=2, le=16)
    anchor_support: int | None = Field(default=None, ge=1, le=15)
    anchor_level: float | None = Field(default=None, gt=0)
    # Read in order (`anchor_before: true`): only requests before the refused one support it, and
    # the alert comes with the refusal (bench/watch/DECOMP_RULE_4.md).
    anchor_before: bool | None = None
    # The refusals channel (off by default; `refusals: true` turns it on): a unit's distinct
    # requests refused sure (`refusal_sure`) in one catastrophic category, against what its
    # request count gathers by chance (`refusal_rate`), alert at `refusal_level` with two or more
    # (bench/watch/DECOMP_RULE_5.md).
    refusals: bool | None = None
    refusal_sure: float | None = Field(default=None, gt=0, le=1)
    refusal_rate: float | None = Field(default=None, gt=0, lt=1)
    refusal_level: float | None = Field(default=None, gt=0)
    # The trajectory channel (`trajectory: true` turns it on): per catastrophic category, the
    # plan phases (acquire, produce, deliver, conceal: the sketch's phase flags) asked for by a
    # unit's requests whose score there is `trajectory_floor` or more; alert when the phases'
    # highest scores add up to `trajectory_level` with `trajectory_phases` phases or more
    # (bench/watch/DECOMP_RULE_7.md).
    trajectory: bool | None = None
    trajectory_floor: float | None = Field(default=None, ge=0, le=1)
    trajectory_phases: int | None = Field(default=None, ge=1, le=4)
    trajectory_level: float | None = Field(default=None, gt=0)
    # Only units whose phases include keeping it unseen (`trajectory_conceal: true`).
    trajectory_conceal: bool | None = None
    # Only a unit's last `trajectory_window` requests count.
    trajectory_window: int | None = Field(default=None, ge=1, le=64)
    # The composed reading's level (`watch.compose`): the joined text's top catastrophic score
    # at which it alerts (the detector's COMPOSED_LEVEL, 0.96, when left out).
    composed_level: float | None = Field(default=None, gt=0)
    # Read as a gain (`composed_gain: true`): the joined score less the highest its requests had
    # alone in that category (bench/watch/DECOMP_RULE_8.md).
    composed_gain: bool | None = None


class ComposeSettings(_Model):
    """The composed reading's buffer (`watch/compose.py`, docs/watch.md); one left out keeps
    the composer's default (evidence floor 0.55, 4 texts, read from 2, 8 readings a key a day,
    one buffer a key). `by_category: true` keeps one buffer per key and catastrophic category,
    which a request enters where its score is `floor` or more: the low-floor composition
    (bench/watch/DECOMP_RULE_8.md)."""

    floor: float | None = Field(default=None, ge=0, le=1)
    size: int | None = Field(default=None, ge=2, le=16)
    min_texts: int | None = Field(default=None, ge=2, le=16)
    calls_per_day: int | None = Field(default=None, ge=1, le=1_000)
    by_category: bool | None = None


class WatchSettings(_Model):
    """The watch in the gateway (docs/watch.md)."""

    # A sketch (no text) of every screened request, beside the audit record.
    sketches: bool = True
    flush_interval_ms: int = Field(default=500, ge=1, le=60_000)
    # Queued sketches waiting for their batch; a request beyond it waits for the write.
    max_pending: int = Field(default=10_000, ge=1)
    # The decomposition detector's composed reading (`watch/compose.py`): a key's last few
    # evidence requests' texts held in memory (never stored) and screened together, at most a
    # few times a key a day. Off by default: with it the bench's test traffic showed no more
    # chains caught than without it, and one alert on a benign key (bench/watch/RESULTS.md).
    compose: bool = False
    composer: ComposeSettings = ComposeSettings()
    decomposition: DecompositionSettings = DecompositionSettings()


class TenantSettings(_Model):
    audit_text: AuditText | None = None


class Settings(_Model):
    home: Path
    server: ServerSettings = ServerSettings()
    upstreams: dict[str, UpstreamSettings] = Field(default_factory=dict)
    screen: ScreenSettings = ScreenSettings()
    audit: AuditSettings = AuditSettings()
    limits: LimitsSettings = LimitsSettings()
    store: StoreSettings = StoreSettings()
    watch: WatchSettings = WatchSettings()
    tenants: dict[str, TenantSettings] = Field(default_factory=dict)
    # Issue 5 (policy) owns what these mean; the gateway only carries them.
    policy_file: Path | None = None
    policy: dict[str, Any] | None = None
    config_file: Path | None = None
    # The embedded model run when no upstream is set (None: the default one); checked at start.
    local_model: str | None = None

    @property
    def keys_db(self) -> Path:
        return self.home / KEYS_DB

    @property
    def audit_db(self) -> Path:
        return self.home / AUDIT_DB

    @property
    def shared_cache_url(self) -> str | None:
        """The Redis the screen's verdicts are shared in (docs/scale.md); None: not shared."""
        if self.screen.shared_cache.enabled is False:
            return None
        return self.screen.shared_cache.url or self.limits.url

    def audit_text_for(self, tenant: str) -> AuditText:
        tenant_settings = self.tenants.get(tenant)
        if tenant_settings is not None and tenant_settings.audit_text is not None:
            return tenant_settings.audit_text
        return self.audit.text


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


_HINTS = {
    "extra_forbidden": "remove it or check its spelling",
    "missing": "add it",
}


def _key_path(loc: tuple[int | str, ...]) -> str:
    return ".".join(str(p) for p in loc)


def load_settings(
    config_file: str | Path | None = None,
    *,
    overrides: Mapping[str, Any] | None = None,
    environ: Mapping[str, str] | None = None,
) -> Settings:
    """Build the settings from an optional YAML file, then apply `overrides` (nested dicts).

    Raises ConfigError naming the file, the key path and a hint.
    """
    data: dict[str, Any] = {}
    file_label = str(config_file) if config_file is not None else None
    if config_file is not None:
        path = Path(config_file)
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise ConfigError(f"cannot read: {exc.strerror}", file=file_label) from None
        except UnicodeDecodeError:
            raise ConfigError("is not UTF-8 text", file=file_label) from None
        try:
            loaded = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            where = f"{file_label}:{mark.line + 1}" if mark is not None else file_label
            raise ConfigError(f"invalid YAML: {getattr(exc, 'problem', exc)}", file=where) from None
        if loaded is None:
            loaded = {}
        if not isinstance(loaded, dict):
            raise ConfigError("must be a mapping of settings at top level", file=file_label)
        data = loaded
        data["config_file"] = path
        # Relative paths in the file are relative to the file, not to the working directory.
        if isinstance(data.get("policy_file"), str):
            data["policy_file"] = path.parent / data["policy_file"]
    merged = _merge(data, dict(overrides or {}))
    merged.setdefault("home", home_dir(environ))
    env = os.environ if environ is None else environ
    admin_token = env.get(ADMIN_TOKEN_ENV)
    store_url = env.get(STORE_URL_ENV)
    store = merged.get("store", {})
    if store_url and isinstance(store, dict) and not store.get("url"):
        merged["store"] = {**store, "url": store_url}
    server = merged.get("server", {})
    if admin_token and isinstance(server, dict):
        merged["server"] = {"admin_token": admin_token, **server}
    try:
        settings = Settings.model_validate(merged)
    except ValidationError as exc:
        error = exc.errors()[0]
        key = _key_path(error["loc"])
        hint = _HINTS.get(error["type"], "see docs/gateway.md for the settings")
        more = f" (and {exc.error_count() - 1} more)" if exc.error_count() > 1 else ""
        raise ConfigError(
            f"{error['msg']}; hint: {hint}{more} / 設定 {key} が正しくありません",
            file=file_label or "settings",
            key=key,
        ) from None
    if not settings.server.auth and not is_loopback(settings.server.host):
        raise ConfigError(
            "authentication may be off (--insecure-no-auth) only on a loopback host, "
            f"not {settings.server.host!r}; hint: create a key with "
            "`sekimori keys create --tenant NAME` and keep auth on",
            file=file_label or "settings",
            key="server.auth",
        )
    return settings


def _merge(base: dict[str, Any], top: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in top.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = value
    return out
