"""Tenants' API keys: what every key store holds and how keys are minted and compared.

A key reads `sk-sek-<id><secret>`: a public 12-hex-digit id to find the row, then 43 characters
(256 bits) of secret. Only the sha256 of the whole key is stored, so a leaked store reveals none.
"""

from __future__ import annotations

import hashlib
import secrets
import time
from dataclasses import dataclass
from typing import Protocol

from sekimori.errors import InputError
from sekimori.store.tenants import check_name

PREFIX = "sk-sek-"
ID_LEN = 12


@dataclass(frozen=True, slots=True)
class ApiKey:
    key_id: str
    tenant: str
    created: float
    revoked: float | None


@dataclass(frozen=True, slots=True)
class NewKey:
    key: str  # shown once, never stored
    info: ApiKey


@dataclass(frozen=True, slots=True)
class StoredKey:
    """One row as a store keeps it (what `migrate` copies): the digest, never the key."""

    info: ApiKey
    digest: str


@dataclass(frozen=True, slots=True)
class ActiveKey:
    tenant: str
    digest: str


def digest(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def mint(tenant: str) -> NewKey:
    """A fresh key for `tenant`; raises InputError for a bad tenant name."""
    check_name(tenant)
    key_id = secrets.token_hex(ID_LEN // 2)
    key = f"{PREFIX}{key_id}{secrets.token_urlsafe(32)}"
    info = ApiKey(key_id=key_id, tenant=tenant, created=time.time(), revoked=None)
    return NewKey(key=key, info=info)


def unknown_key(key_id: str) -> InputError:
    return InputError(f"no key with id {key_id!r} (see `sekimori keys list`) / キーがありません")


def already_revoked(key_id: str) -> InputError:
    return InputError(f"key {key_id!r} was already revoked / このキーは失効済みです")


class KeyStore(Protocol):
    """Durable keys; every method raises StoreError naming the store when it fails."""

    def create(self, tenant: str) -> NewKey: ...

    def all_keys(self) -> list[ApiKey]: ...

    def revoke(self, key_id: str) -> ApiKey: ...

    def generation(self) -> int:
        """A number that moves whenever keys change (cheap: the gateway polls it)."""
        ...

    def active(self) -> dict[str, ActiveKey]:
        """Unrevoked keys by id."""
        ...

    def rows(self) -> list[StoredKey]: ...

    def close(self) -> None: ...
