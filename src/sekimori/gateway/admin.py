"""The JSON admin API for tenants, under `/admin/api/tenants`, beside `POST /admin/policy/reload`.

The same rows that `sekimori tenants` and the console change (`sekimori.store.tenants`), read and
written through the gateway's own store connection (SQLite or PostgreSQL): list, show, create,
change, suspend, resume and remove. It is guarded as the policy reload is (`server.admin_token`,
else callers on this machine only) and answers errors in the OpenAI shape, in English and
Japanese, with `param` naming the field that was wrong. Every change is a record of the audit
chain (tenant `(admin-api)`, decision `admin`), is in force in this process when the answer
leaves and in every other worker and replica within about a second (the generation poll,
docs/scale.md). The gateway authorizes and sends; this module reads a request and says the answer.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import secrets
import time
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import unquote

import orjson

from sekimori.audit.browse import ADMIN_DECISION
from sekimori.audit.record import AUDIT_VERSION, AuditRecord
from sekimori.errors import InputError, SekimoriError, StoreError
from sekimori.gateway.errors import HttpError, bad_request, internal, not_allowed
from sekimori.gateway.keys import KeyCache
from sekimori.gateway.parse import Receive, read_body
from sekimori.gateway.tenants import TenantBook
from sekimori.limits.quota import Quota
from sekimori.store.tenants import (
    Tenant,
    TenantExists,
    TenantInUse,
    TenantNotFound,
    TenantStatus,
    check_display,
    check_name,
    check_tier_name,
    quota_json,
)

log = logging.getLogger("sekimori.gateway")

API_ROOT = "/admin/api"  # the JSON admin API; the console's pages are the rest of /admin
PREFIX = API_ROOT + "/tenants"
MAX_BODY_BYTES = 64 * 1024  # a tenant is a few hundred bytes
MAX_FIGURE = 2**53 - 1  # the largest whole number every JSON reader keeps exactly
LIMIT_FIELDS = tuple(f.name for f in dataclasses.fields(Quota))
# The fields a body may hold: creating (name first) and changing (never the name).
CREATE_FIELDS = ("name", "display_name", "tier", "status", "limits", "key_limits")
CHANGE_FIELDS = CREATE_FIELDS[1:]
ACTIONS = {"suspend": TenantStatus.SUSPENDED, "resume": TenantStatus.ACTIVE}
# Every (method, path template) this API answers: what /openapi.json documents.
OPERATIONS = frozenset(
    {
        ("GET", PREFIX),
        ("POST", PREFIX),
        ("GET", PREFIX + "/{name}"),
        ("PATCH", PREFIX + "/{name}"),
        ("DELETE", PREFIX + "/{name}"),
        *(("POST", f"{PREFIX}/{{name}}/{action}") for action in ACTIONS),
    }
)


class AdminHost(Protocol):
    """What the API needs of the gateway that mounts it (`sekimori.gateway.app.Gateway`)."""

    tenants: TenantBook | None
    keys: KeyCache | None

    def tier_names(self) -> tuple[str, Collection[str]]:
        """The policy in force: its source, and the tiers it defines."""
        ...

    async def tenants_changed(self) -> None:
        """Re-read the rows now and apply them in this process."""
        ...

    async def audit_admin(self, record: AuditRecord) -> None:
        """Commit one admin action to the audit chain; raises StoreError when it fails."""
        ...


@dataclass(frozen=True, slots=True)
class Answer:
    status: int
    payload: object


@dataclass(frozen=True, slots=True)
class Target:
    """What a path under PREFIX names: the collection (name None), a tenant, or an action."""

    name: str | None
    action: str | None
    allowed: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Changes:
    """A PATCH body, read: None where the body leaves a field as it is."""

    display_name: str | None
    tier: str | None
    clear_tier: bool
    status: TenantStatus | None
    limits: dict[str, int | None]
    key_limits: dict[str, int | None]

    def apply(self, old: Tenant) -> Tenant:
        return dataclasses.replace(
            old,
            display_name=old.display_name if self.display_name is None else self.display_name,
            tier=None if self.clear_tier else (self.tier or old.tier),
            status=old.status if self.status is None else self.status,
            limits=dataclasses.replace(old.limits, **self.limits),
            key_limits=dataclasses.replace(old.key_limits, **self.key_limits),
        )


def target(path: str, raw_path: bytes | None = None) -> Target | None:
    """The target a path names, or None (404) for a path under API_ROOT that names nothing.

    Read from the raw path where the server gives it, one segment at a time: a name with an
    encoded slash (`a%2Fsuspend`) is one (bad) name, not a name and an action."""
    raw = path if raw_path is None else raw_path.decode("latin-1")
    if raw == PREFIX:
        return Target(None, None, ("GET", "POST"))
    if not raw.startswith(PREFIX + "/"):
        return None
    parts = [unquote(part) for part in raw.removeprefix(PREFIX + "/").split("/")]
    if not parts[0] or len(parts) > 2:
        return None
    if len(parts) == 1:
        return Target(parts[0], None, ("GET", "PATCH", "DELETE"))
    if parts[1] in ACTIONS:
        return Target(parts[0], parts[1], ("POST",))
    return None


def is_admin_api(path: str) -> bool:
    """Under API_ROOT: answered in JSON here, never by the console's pages."""
    return path == API_ROOT or path.startswith(API_ROOT + "/")


def tenant_json(tenant: Tenant) -> dict[str, object]:
    return {
        "object": "tenant",
        "name": tenant.name,
        "display_name": tenant.display_name,
        "tier": tenant.tier,
        "status": tenant.status.value,
        "limits": quota_json(tenant.limits),
        "key_limits": quota_json(tenant.key_limits),
        "created": tenant.created,
        "updated": tenant.updated,
    }


class TenantsApi:
    """`TenantsApi(host)` answers every request under PREFIX (the gateway authorizes them and
    routes them here)."""

    def __init__(self, host: AdminHost) -> None:
        self._host = host

    async def answer(
        self,
        method: str,
        path: str,
        raw_path: bytes | None,
        headers: list[tuple[bytes, bytes]],
        receive: Receive,
        who: str,
    ) -> Answer:
        """The answer to an authorized request under API_ROOT (`who` made it, for the audit);
        raises HttpError, or ClientDisconnected while a body is read."""
        found = target(path, raw_path)
        if found is None:
            raise HttpError(404, f"no route {method} {path}", code="not_found")
        if method not in found.allowed:
            raise not_allowed(method, path, found.allowed)
        book = self._host.tenants
        if book is None:
            raise HttpError(
                409,
                "tenants are off: this gateway runs without API keys (--insecure-no-auth), "
                "so it holds no tenant rows / API キーなしで動作中のため、テナントは使えません",
                code="tenants_unavailable",
            )
        if found.name is not None:
            _checked_name(found.name)
        return await self._answer(book, found, method, headers, receive, who)

    async def _answer(
        self,
        book: TenantBook,
        found: Target,
        method: str,
        headers: list[tuple[bytes, bytes]],
        receive: Receive,
        who: str,
    ) -> Answer:
        """The status and body of a request to `found`; raises HttpError."""
        store = book.store
        name = found.name
        try:
            if name is None and method == "GET":
                rows = await asyncio.to_thread(store.all_tenants)
                return Answer(200, {"object": "list", "data": [tenant_json(t) for t in rows]})
            if name is None:
                tenant = self._created(await _body(headers, receive))
                await asyncio.to_thread(store.add, tenant)
                await self._changed(who, "tenant.create", tenant)
                return Answer(201, tenant_json(tenant))
            if method == "GET":
                return Answer(200, await self._shown(book, name))
            if method == "DELETE":
                removed = await asyncio.to_thread(store.remove, name)
                await self._changed(who, "tenant.remove", removed)
                deleted = {"object": "tenant.deleted", "name": removed.name, "deleted": True}
                return Answer(200, deleted)
            if found.action is not None:
                status = ACTIONS[found.action]
                changed = await asyncio.to_thread(
                    store.update, name, lambda old: dataclasses.replace(old, status=status)
                )
                await self._changed(who, f"tenant.{status.value}", changed)
                return Answer(200, tenant_json(changed))
            changes = self._changes(await _body(headers, receive))
            changed = await asyncio.to_thread(store.update, name, changes.apply)
            await self._changed(who, "tenant.update", changed)
            return Answer(200, tenant_json(changed))
        except TenantNotFound as exc:
            raise HttpError(
                404,
                f"no tenant {exc.name!r} in the store (GET {PREFIX} lists them) "
                "/ テナントがありません",
                code="tenant_not_found",
                param="name",
            ) from None
        except TenantExists as exc:
            raise HttpError(
                409,
                f"tenant {exc.name!r} is already in the store; change it with "
                f"PATCH {PREFIX}/{exc.name} / このテナントは既に登録されています",
                code="tenant_exists",
                param="name",
            ) from None
        except TenantInUse as exc:
            shown = ", ".join(exc.key_ids[:5]) + (" ..." if len(exc.key_ids) > 5 else "")
            raise HttpError(
                409,
                f"tenant {exc.name!r} still has {len(exc.key_ids)} active key(s) ({shown}); "
                "revoke them first (`sekimori keys revoke KEY_ID`), or suspend the tenant "
                "instead / 有効なキーが残っているため削除できません。先にキーを失効させるか、"
                "停止してください",
                code="tenant_in_use",
                param="name",
            ) from None
        except InputError as exc:
            raise bad_request(str(exc), exc.source) from None
        except StoreError as exc:
            # The message may name a database host; the admin reads it in the log.
            log.error("admin API: %s", exc)
            raise internal(
                503,
                "the tenant store is unavailable; details are in the gateway log "
                "/ テナントのストアが利用できません（詳細はゲートウェイのログ）",
                "store_unavailable",
            ) from None

    async def _shown(self, book: TenantBook, name: str) -> dict[str, object]:
        tenant = await asyncio.to_thread(book.store.get, name)
        if tenant is None:
            raise TenantNotFound(name)
        keys = self._host.keys
        listed = [] if keys is None else await asyncio.to_thread(keys.all_keys)
        active = [k.key_id for k in listed if k.tenant == name and k.revoked is None]
        return {**tenant_json(tenant), "active_keys": active}

    async def _changed(self, who: str, action: str, tenant: Tenant) -> None:
        """In force here now; one audit record of the change (a failed write is logged: the
        change is made and the answer says so)."""
        await self._host.tenants_changed()
        record = AuditRecord(
            ts=time.time(),
            request_id=secrets.token_hex(12),
            tenant="(admin-api)",
            key_id=who,
            model="",
            upstream="admin-api",
            status=200,
            decision=ADMIN_DECISION,
            categories=action,
            reasons=f"tenant={tenant.name} status={tenant.status.value}",
            version=AUDIT_VERSION,
        )
        try:
            await self._host.audit_admin(record)
        except SekimoriError as exc:
            log.error("admin API: %s of tenant %s not audited: %s", action, tenant.name, exc)

    def _tier(self, raw: object) -> str | None:
        if raw is None:
            return None
        if not isinstance(raw, str):
            raise bad_request("tier must be a string or null / tier は文字列か null です", "tier")
        check_tier_name(raw, source="tier")
        source, tiers = self._host.tier_names()
        if raw not in tiers:
            raise bad_request(
                f"tier: tier {raw!r} is not defined in {source}; known: "
                f"{', '.join(sorted(tiers))} / このティアはポリシーに定義されていません",
                "tier",
            )
        return raw

    def _created(self, body: dict[str, Any]) -> Tenant:
        _known(body, CREATE_FIELDS)
        if "name" not in body:
            raise bad_request("name is required / name は必須です", "name")
        name = _checked_name(body["name"], "name")
        limits = _figures(body.get("limits", {}), "limits")
        key_limits = _figures(body.get("key_limits", {}), "key_limits")
        now = time.time()
        return Tenant(
            name=name,
            display_name=_display(body.get("display_name", "")),
            tier=self._tier(body.get("tier")),
            status=_status(body.get("status", TenantStatus.ACTIVE.value)),
            limits=Quota(**limits),
            key_limits=Quota(**key_limits),
            created=now,
            updated=now,
        )

    def _changes(self, body: dict[str, Any]) -> Changes:
        _known(body, CHANGE_FIELDS)
        if not body:
            raise bad_request(
                f"nothing to change: give one of {', '.join(CHANGE_FIELDS)} "
                "/ 変更する項目を指定してください"
            )
        # A field left out stays; null is a value only for `tier` and for single figures.
        return Changes(
            display_name=_display(body["display_name"]) if "display_name" in body else None,
            tier=self._tier(body.get("tier")),
            clear_tier="tier" in body and body["tier"] is None,
            status=_status(body["status"]) if "status" in body else None,
            limits=_figures(body.get("limits", {}), "limits"),
            key_limits=_figures(body.get("key_limits", {}), "key_limits"),
        )


def _checked_name(raw: object, param: str = "name") -> str:
    if not isinstance(raw, str):
        raise bad_request("name must be a string / name は文字列です", param)
    try:
        return check_name(raw, source=param)
    except InputError as exc:
        raise bad_request(str(exc), param) from None


def _display(raw: object) -> str:
    if not isinstance(raw, str):
        raise bad_request(
            "display_name must be a string / display_name は文字列です", "display_name"
        )
    try:
        return check_display(raw, source="display_name")
    except InputError as exc:
        raise bad_request(str(exc), "display_name") from None


def _status(raw: object) -> TenantStatus:
    # a JSON object or array is unhashable: checked as a string first, never a 500
    if not isinstance(raw, str) or raw not in {s.value for s in TenantStatus}:
        raise bad_request(
            f"status must be 'active' or 'suspended', not {orjson.dumps(raw).decode()[:80]} "
            "/ status は active か suspended です",
            "status",
        )
    return TenantStatus(raw)


def _figures(raw: object, param: str) -> dict[str, int | None]:
    """A `limits`/`key_limits` object: figure name -> whole number >= 0, or null (creating:
    none; changing: back to the policy file's figure)."""
    if not isinstance(raw, dict):
        raise bad_request(
            f'{param} must be an object such as {{"rpm": 60}} / {param} はオブジェクトです', param
        )
    figures: dict[str, int | None] = {}
    for field, value in raw.items():
        where = f"{param}.{field}"
        if field not in LIMIT_FIELDS:
            raise bad_request(
                f"unknown limit {field!r}; known: {', '.join(LIMIT_FIELDS)} / 不明な制限項目です",
                where,
            )
        ok = isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= MAX_FIGURE
        if value is not None and not ok:
            raise bad_request(
                f"{where} must be a whole number from 0 to {MAX_FIGURE}, or null to leave it to "
                "the policy file / 0以上の整数か null を指定してください",
                where,
            )
        figures[field] = value
    return figures


def _known(body: dict[str, Any], fields: tuple[str, ...]) -> None:
    for field in body:
        if field not in fields:
            rename = " (a tenant cannot be renamed)" if field == "name" else ""
            raise bad_request(
                f"unknown field {field!r}{rename}; known: {', '.join(fields)} / 不明な項目です",
                field,
            )


async def _body(headers: list[tuple[bytes, bytes]], receive: Receive) -> dict[str, Any]:
    length = None
    for name, value in headers:
        if name == b"content-length":
            length = int(value) if value.isdigit() else None
    try:
        raw = await read_body(receive, length, MAX_BODY_BYTES)
    except HttpError as exc:  # its message names server.max_body_bytes, not this API's limit
        raise HttpError(
            exc.status,
            f"the body is over {MAX_BODY_BYTES} bytes; a tenant takes a few hundred "
            f"/ 本文が {MAX_BODY_BYTES} バイトを超えています",
            code=exc.code,
        ) from None
    try:
        data = orjson.loads(raw)
    except orjson.JSONDecodeError:
        raise bad_request(
            "the body must be a JSON object in UTF-8 / 本文は UTF-8 の JSON オブジェクトです"
        ) from None
    if not isinstance(data, dict):
        raise bad_request("the body must be a JSON object / 本文は JSON オブジェクトです")
    return data
