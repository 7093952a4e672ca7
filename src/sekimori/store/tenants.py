"""Tenants as records in the store: a display name, a policy tier, a status (active or suspended)
and rate-limit overrides, each row optional.

The policy file stays the base: a row overrides the tenant's tier and, figure by figure, its
limits (`sekimori.policy.load`, `tenants=`); a suspended tenant's requests are refused. A tenant
named by keys but without a row works as the policy file alone says (deployments before the
table). Every change moves `generation()`, which each gateway polls (docs/scale.md, Tenants).
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Protocol

import orjson

from sekimori.errors import InputError, StoreError
from sekimori.limits.quota import Quota

# Matched whole (fullmatch): a bare `$` would also pass a name ending in a newline.
NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$"
TIER_PATTERN = r"^[A-Za-z0-9_-]{1,64}$"  # the policy file's tier names
_NAME = re.compile(NAME_PATTERN)
_TIER = re.compile(TIER_PATTERN)
DISPLAY_MAX = 200


class TenantStatus(StrEnum):
    ACTIVE = "active"
    SUSPENDED = "suspended"


@dataclass(frozen=True, slots=True)
class Tenant:
    name: str  # what keys name (`keys create --tenant`) and the policy file's `tenants:` key
    display_name: str
    tier: str | None  # None: the tier the policy file gives the tenant
    status: TenantStatus
    limits: Quota  # over the policy's limits for the tenant's whole traffic
    key_limits: Quota  # over the policy's limits for each of its keys
    created: float
    updated: float

    @property
    def suspended(self) -> bool:
        return self.status is TenantStatus.SUSPENDED


def check_name(name: str, source: str = "--tenant") -> str:
    """`name` if it is a valid tenant name, else InputError."""
    if not _NAME.fullmatch(name):
        raise InputError(
            f"tenant {name!r} must be 1-64 letters, digits, '.', '_' or '-' "
            "(テナント名は英数字と . _ - の64文字以内)",
            source=source,
        )
    return name


def check_display(display: str, source: str = "--display-name") -> str:
    if len(display) > DISPLAY_MAX or any(ord(c) < 32 for c in display):
        raise InputError(
            f"a display name is at most {DISPLAY_MAX} characters with no control characters "
            "/ 表示名は制御文字なしの200文字以内です",
            source=source,
        )
    return display


def check_tier_name(tier: str, source: str = "--tier") -> str:
    """`tier` if it is written as the policy file's tier names are, else InputError (whether
    the policy defines it is for the caller, who knows the policy)."""
    if not _TIER.fullmatch(tier):
        raise InputError(
            f"tier {tier!r} must be letters, digits, '_' or '-', as in the policy's tiers "
            "/ ティア名は英数字と _ - です",
            source=source,
        )
    return tier


def quota_json(quota: Quota) -> dict[str, int]:
    """The figures a quota sets, by name (those it leaves to the policy left out)."""
    return {k: v for k, v in dataclasses.asdict(quota).items() if v is not None}


def limits_text(tenant: Tenant) -> str:
    """The overrides as the store keeps them: JSON, only the figures set."""
    out = {"tenant": quota_json(tenant.limits), "per_key": quota_json(tenant.key_limits)}
    return orjson.dumps({k: v for k, v in out.items() if v}).decode()


def _quota(raw: Any) -> Quota:
    if not isinstance(raw, Mapping):
        raise ValueError("limits must be a JSON object")
    fields = {f.name for f in dataclasses.fields(Quota)}
    unknown = set(raw) - fields
    if unknown:
        raise ValueError(f"unknown limit {sorted(unknown)[0]!r}")
    if any(not isinstance(v, int) or isinstance(v, bool) or v < 0 for v in raw.values()):
        raise ValueError("limits must be whole numbers >= 0")
    return Quota(**raw)


def tenant_from_row(row: tuple[Any, ...], where: str) -> Tenant:
    """A row (name, display_name, tier, status, limits, created, updated) as a Tenant; a row
    edited by hand into something else raises StoreError naming it."""
    name, display, tier, status, limits, created, updated = row
    try:
        data = orjson.loads(limits or "{}")
        if not isinstance(data, dict) or set(data) - {"tenant", "per_key"}:
            raise ValueError("limits must hold 'tenant' and 'per_key' only")
        return Tenant(
            str(name),
            str(display),
            None if tier is None else str(tier),
            TenantStatus(status),
            _quota(data.get("tenant", {})),
            _quota(data.get("per_key", {})),
            float(created),
            float(updated),
        )
    except (ValueError, orjson.JSONDecodeError) as exc:
        raise StoreError(
            f"store {where}: tenant {name!r} has an unreadable row ({exc}); hint: fix it with "
            "`sekimori tenants set` / テナントの行が読めません"
        ) from None


class TenantNotFound(InputError):
    """A change or removal of a tenant the store holds no row for."""

    def __init__(self, name: str) -> None:
        self.name = name
        super().__init__(
            f"no tenant {name!r} in the store (see `sekimori tenants list`) / テナントがありません"
        )


class TenantExists(InputError):
    """An add of a tenant the store already holds."""

    def __init__(self, name: str) -> None:
        self.name = name
        super().__init__(
            f"tenant {name!r} is already in the store; change it with `sekimori tenants set` "
            "/ このテナントは既に登録されています"
        )


class TenantInUse(InputError):
    """A removal refused while unrevoked keys name the tenant."""

    def __init__(self, name: str, key_ids: list[str]) -> None:
        self.name = name
        self.key_ids = tuple(key_ids)
        shown = ", ".join(key_ids[:5]) + (" ..." if len(key_ids) > 5 else "")
        super().__init__(
            f"tenant {name!r} still has {len(key_ids)} active key(s) ({shown}); revoke them "
            f"first with `sekimori keys revoke KEY_ID`, or suspend the tenant instead "
            f"/ 有効なキーが残っているため削除できません。先にキーを失効させるか、停止してください"
        )


def unknown_tenant(name: str) -> TenantNotFound:
    return TenantNotFound(name)


def already_there(name: str) -> TenantExists:
    return TenantExists(name)


def still_used(name: str, key_ids: list[str]) -> TenantInUse:
    return TenantInUse(name, key_ids)


Change = Callable[[Tenant], Tenant]


class TenantStore(Protocol):
    """Tenant rows; every method raises StoreError naming the store when it fails, InputError
    for a tenant that is (or is not) there."""

    def add(self, tenant: Tenant) -> Tenant: ...

    def get(self, name: str) -> Tenant | None: ...

    def all_tenants(self) -> list[Tenant]: ...

    def update(self, name: str, change: Change) -> Tenant:
        """Applies `change` to the row in one transaction (concurrent changes queue); returns
        the row as stored, `updated` set now."""
        ...

    def remove(self, name: str) -> Tenant:
        """Deletes the row; refused (InputError) while unrevoked keys name the tenant."""
        ...

    def generation(self) -> int:
        """A number that moves whenever a row changes (the gateway polls it)."""
        ...

    def close(self) -> None: ...
