"""What a gateway will run with, said at start (`sekimori serve`) and by `sekimori doctor`.

A newcomer must see, before the first request, which screen and policy are in force, where the
data lives and whether anything protective is off: a copied example that turns screening off, or
`--insecure-no-auth`, gets a warning that cannot be missed. English or Japanese by the locale.
"""

from __future__ import annotations

import urllib.parse
from dataclasses import dataclass
from pathlib import Path

from sekimori import __version__
from sekimori.lang import Text, columns, ljust
from sekimori.settings import Settings
from sekimori.store.backend import open_backend, redact
from sekimori.types import Lang

_LABELS = {
    "address": Text(en="address", ja="アドレス"),
    "workers": Text(en="processes", ja="プロセス"),
    "screen": Text(en="screen", ja="検査"),
    "policy": Text(en="policy", ja="ポリシー"),
    "auth": Text(en="API keys", ja="API キー"),
    "upstreams": Text(en="upstreams", ja="上流"),
    "data": Text(en="data directory", ja="データディレクトリ"),
    "audit": Text(en="audit trail", ja="監査ログ"),
    "limits": Text(en="rate limits", ja="レート制限"),
    "verdicts": Text(en="verdict cache", ja="判定キャッシュ"),
    "config": Text(en="settings", ja="設定"),
}
_TITLE = Text(en="sekimori {version} gateway", ja="sekimori {version} ゲートウェイ")
_SCREENS = {
    "policy": Text(
        en="policy (classifiers, PII redaction, per-tenant policy)",
        ja="policy（分類器・個人情報の伏せ字化・テナント別ポリシー）",
    ),
    "allow": Text(en="allow (OFF: nothing is screened)", ja="allow（無効: 何も検査しません）"),
    "keywords": Text(
        en="keywords (a test screen: only its listed words)",
        ja="keywords（テスト用: 指定した語だけ）",
    ),
}
_PLUGIN = Text(en="{name} (a plug-in)", ja="{name}（プラグイン）")
_POLICY_DEFAULT = Text(
    en="built-in default (docs/policy.md)", ja="組み込みの既定ポリシー（docs/policy.md）"
)
_POLICY_FILE = Text(en="file {path}", ja="ファイル {path}")
_POLICY_INLINE = Text(en="inline `policy:` in {file}", ja="{file} の `policy:`")
_POLICY_UNUSED = Text(
    en="none ({screen} does not read a policy)", ja="なし（{screen} はポリシーを読みません）"
)
_AUTH_ON = Text(en="required; {n} active in {path}", ja="必須。有効なキー {n} 個（{path}）")
_AUTH_OFF = Text(en="OFF (--insecure-no-auth)", ja="無効（--insecure-no-auth）")
_AUDIT = Text(en="{path} (text kept: {text})", ja="{path}（本文の保存: {text}）")
_LOCAL = Text(
    en="embedded model {model}, served as `local`",
    ja="組み込みモデル {model}（`local` として提供）",
)
_LOCAL_PENDING = Text(
    en="the embedded model {model} (none configured; started as `local`)",
    ja="組み込みモデル {model}（上流の設定なし。`local` として起動）",
)
_LIMITS_LOCAL = Text(
    en="counted in this process (limits.url unset; the figures are in the policy)",
    ja="このプロセス内で計数（limits.url 未設定。上限値はポリシーに記載）",
)
_LIMITS_REDIS = Text(en="counted in {url}", ja="{url} で計数")
_VERDICTS_LOCAL = Text(
    en="in each process (no Redis, or screen.shared_cache.enabled: false)",
    ja="プロセスごと（Redis なし、または screen.shared_cache.enabled: false）",
)
_VERDICTS_SHARED = Text(
    en="shared in {url}, per tenant (replicas need the same audit.key)",
    ja="{url} で共有（テナント別。全レプリカに同じ audit.key が必要）",
)
_ONE_WORKER = Text(en="1 (--workers N for more)", ja="1（--workers N で増やせます）")
_WORKERS = Text(
    en="{n} workers on this port, sharing the audit trail, keys, limits and policy reloads",
    ja="このポートで {n} ワーカー（監査ログ・キー・制限・ポリシー再読込を共有）",
)
_NO_CONFIG = Text(en="defaults and flags (no --config file)", ja="既定値とフラグ（--config なし）")

SCREEN_OFF = Text(
    en="SCREENING IS OFF (screen: {screen}): prompts and answers pass unscreened and card numbers, "
    "My Numbers and secrets go upstream unredacted. To screen, remove `screen: name: {screen}` "
    "from the settings or the `--screen {screen}` flag (the default is `policy`).",
    ja="検査が無効です（screen: {screen}）: プロンプトも回答も検査されず、"
    "カード番号・マイナンバー・秘密情報も伏せ字化されずに上流へ送られます。"
    "検査するには設定の `screen: name: {screen}` または "
    "`--screen {screen}` を外してください（既定は `policy`）。",
)
TEST_SCREEN = Text(
    en="screen `keywords` is a test screen: it blocks only its listed words, no hazard is "
    "classified and nothing is redacted unless listed.",
    ja="`keywords` はテスト用の検査です。指定した語だけを遮断し、"
    "危険の分類も伏せ字化も行いません。",
)
AUTH_OFF = Text(
    en="AUTHENTICATION IS OFF (--insecure-no-auth): anyone who reaches {host} can use the gateway.",
    ja="認証が無効です（--insecure-no-auth）: {host} に届く誰でもゲートウェイを使えます。",
)
NO_KEYS = Text(
    en="no API key exists yet, so every request gets 401; create one with "
    "`sekimori keys create --tenant NAME` (the key is the last line it prints).",
    ja="API キーがまだないため、すべてのリクエストが 401 になります。"
    "`sekimori keys create --tenant NAME` で作成してください（最後の行がキーです）。",
)
POLICY_IGNORED = Text(
    en="a policy is set ({source}) but screen `{screen}` does not read it: it has no effect.",
    ja="ポリシー（{source}）が指定されていますが、検査 `{screen}` は"
    "それを読まないため効果がありません。",
)
_WARNING = Text(en="WARNING", ja="警告")


@dataclass(frozen=True, slots=True)
class Fact:
    label: str
    value: str


@dataclass(frozen=True, slots=True)
class Banner:
    """What the gateway runs with: facts, one a line, and warnings to be shown loudly."""

    title: str
    facts: tuple[Fact, ...]
    warnings: tuple[str, ...]
    lang: Lang

    def render(self) -> str:
        width = max(columns(f.label) for f in self.facts)
        lines = [self.title, *(f"  {ljust(f.label, width)}  {f.value}" for f in self.facts)]
        if self.warnings:
            rule = "!" * 78
            word = _WARNING(self.lang)
            lines += [rule, *(f"!! {word}: {w}" for w in self.warnings), rule]
        return "\n".join(lines)


def active_keys(settings: Settings) -> int:
    """How many unrevoked API keys the store holds (none when SQLite has no keys.db yet).

    For `doctor`, outside the gateway: inside it, ask its `KeyCache` (see `active_count`).
    """
    if settings.store.url is None and not settings.keys_db.exists():
        return 0
    store = open_backend(settings.store.url, settings.home).keys()
    try:
        return len(store.active())
    finally:
        store.close()


def _where(settings: Settings, db: Path) -> str:
    """The SQLite file, or the database's URL without its password."""
    url = settings.store.url
    return f"SQLite {db}" if url is None else f"PostgreSQL {redact(url)}"


def _policy_source(settings: Settings, lang: Lang) -> str | None:
    if settings.policy_file is not None:
        return _POLICY_FILE(lang, path=settings.policy_file)
    if settings.policy is not None:
        return _POLICY_INLINE(lang, file=settings.config_file or "settings")
    return None


def describe(
    settings: Settings,
    lang: Lang,
    *,
    address: str,
    local_model: str | None = None,
    keys: int | None = None,
) -> Banner:
    """The banner for `settings`; `local_model` names the embedded model when it serves, and
    `keys` the number of active API keys (None: not counted)."""
    screen = settings.screen.name
    workers = settings.server.workers
    screen_text = _SCREENS.get(screen)
    facts = [
        Fact(_LABELS["address"](lang), address),
        Fact(
            _LABELS["workers"](lang),
            _ONE_WORKER(lang) if workers == 1 else _WORKERS(lang, n=workers),
        ),
        Fact(
            _LABELS["screen"](lang),
            screen_text(lang) if screen_text is not None else _PLUGIN(lang, name=screen),
        ),
    ]
    warnings = []
    source = _policy_source(settings, lang)
    if screen == "policy":
        facts.append(Fact(_LABELS["policy"](lang), source or _POLICY_DEFAULT(lang)))
    elif screen in _SCREENS:
        facts.append(Fact(_LABELS["policy"](lang), _POLICY_UNUSED(lang, screen=screen)))
        if screen == "allow":
            warnings.append(SCREEN_OFF(lang, screen=screen))
        else:
            warnings.append(TEST_SCREEN(lang))
        if source is not None:
            warnings.append(POLICY_IGNORED(lang, source=source, screen=screen))
    if settings.server.auth:
        count = "?" if keys is None else str(keys)
        facts.append(
            Fact(
                _LABELS["auth"](lang),
                _AUTH_ON(lang, n=count, path=_where(settings, settings.keys_db)),
            )
        )
        if keys == 0:
            warnings.append(NO_KEYS(lang))
    else:
        facts.append(Fact(_LABELS["auth"](lang), _AUTH_OFF(lang)))
        warnings.append(AUTH_OFF(lang, host=settings.server.host))
    upstreams = []
    for name, upstream in settings.upstreams.items():
        models = ", ".join(upstream.models)
        line = f"{name} = {upstream.url} [{models}]"
        if local_model is not None and name == "local":
            line += f" ({_LOCAL(lang, model=local_model)})"
        upstreams.append(line)
    if not upstreams:
        from sekimori.upstream.local.models import DEFAULT_MODEL

        chosen = local_model or settings.local_model or DEFAULT_MODEL
        upstreams.append(_LOCAL_PENDING(lang, model=chosen))
    facts.append(Fact(_LABELS["upstreams"](lang), "; ".join(upstreams)))
    facts.append(Fact(_LABELS["data"](lang), str(settings.home)))
    facts.append(
        Fact(
            _LABELS["audit"](lang),
            _AUDIT(lang, path=_where(settings, settings.audit_db), text=settings.audit.text),
        )
    )
    url = settings.limits.url
    limits = _LIMITS_LOCAL(lang) if url is None else _LIMITS_REDIS(lang, url=without_password(url))
    facts.append(Fact(_LABELS["limits"](lang), limits))
    if screen == "policy":
        shared = settings.shared_cache_url
        verdicts = (
            _VERDICTS_LOCAL(lang)
            if shared is None
            else _VERDICTS_SHARED(lang, url=without_password(shared))
        )
        facts.append(Fact(_LABELS["verdicts"](lang), verdicts))
    config = str(settings.config_file) if settings.config_file else _NO_CONFIG(lang)
    facts.append(Fact(_LABELS["config"](lang), config))
    title = _TITLE(lang, version=__version__)
    return Banner(title, tuple(facts), tuple(warnings), lang)


def without_password(url: str) -> str:
    """A store URL fit to print: its password, if any, masked."""
    parts = urllib.parse.urlsplit(url)
    if parts.password is None:
        return url
    host = parts.hostname or ""
    port = f":{parts.port}" if parts.port else ""
    user = parts.username or ""
    return urllib.parse.urlunsplit(parts._replace(netloc=f"{user}:***@{host}{port}"))
