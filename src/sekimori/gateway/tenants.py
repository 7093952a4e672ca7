"""The gateway's view of the store's tenant rows: in memory, re-read when their generation moves.

The gateway polls `generation()` every REFRESH_S in a thread (one single-row read), so a change
made anywhere (`sekimori tenants` on any host, another replica) reaches every worker and replica
within about a second plus the time to rebuild the policy, with no notice that could be missed
and no Redis needed (docs/scale.md, Tenants). When the store fails, the rows last read stay.
"""

from __future__ import annotations

from dataclasses import replace

from sekimori.gateway.errors import HttpError
from sekimori.policy import TenantOverride
from sekimori.store.tenants import Tenant, TenantStatus, TenantStore

REFRESH_S = 1.0


class TenantBook:
    def __init__(self, store: TenantStore) -> None:
        self._store = store
        self._generation = -1
        self.rows: dict[str, Tenant] = {}

    def refresh(self) -> bool:
        """Re-reads the rows if they changed; True when they did. Blocking; raises StoreError."""
        # The generation first: a change committed between the two reads moves it again, and
        # the next poll reads the rows once more.
        generation = self._store.generation()
        if generation == self._generation:
            return False
        self.rows = {t.name: t for t in self._store.all_tenants()}
        self._generation = generation
        return True

    def overrides(self) -> tuple[TenantOverride, ...]:
        """What the policy takes from the rows: tiers and limit overrides."""
        return tuple(
            TenantOverride(t.name, t.tier, t.limits, t.key_limits) for t in self.rows.values()
        )

    def check(self, tenant: str) -> None:
        """Raises 403 `tenant_suspended` for a suspended tenant; a tenant without a row is
        active (keys may name tenants the table does not hold)."""
        row = self.rows.get(tenant)
        if row is not None and row.suspended:
            raise HttpError(
                403,
                f"tenant {tenant!r} is suspended; ask the gateway's operator / "
                f"テナント {tenant} は停止されています。管理者にお問い合わせください",
                code="tenant_suspended",
                type="permission_error",
            )

    @property
    def store(self) -> TenantStore:
        """The store behind the rows, through this gateway's connection (the admin API; its
        methods block)."""
        return self._store

    def all_rows(self) -> list[Tenant]:
        """The rows as the store holds them now (the console; blocking)."""
        return self._store.all_tenants()

    def set_status(self, name: str, status: TenantStatus) -> Tenant:
        """Suspends or resumes through this gateway's connection (the console; blocking); in
        force here and everywhere at the next poll."""
        return self._store.update(name, lambda old: replace(old, status=status))

    def close(self) -> None:
        self._store.close()
