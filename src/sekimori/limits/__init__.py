"""Rate limits and quotas per tenant and per API key: in process by default, Redis at scale.

quota.py     Quota (rpm, tpm, concurrent, tokens per day and month) and Scope
windows.py   the fixed UTC windows counted in (minute, day, month)
store.py     the LimitStore protocol, Admission/Lease results, the store registry by URL
memory.py    in-process store (one replica, exact)
redis.py     Redis store (Lua scripts, atomic, shared by replicas, expiring leases)
estimate.py  a token count for answers that report no usage
"""

from sekimori.limits.quota import Quota, Scope
from sekimori.limits.store import (
    LIMIT_STORES,
    Admission,
    Lease,
    LimitStore,
    LimitsUnavailable,
    Measure,
    Remaining,
    StoreOptions,
    open_limit_store,
)

__all__ = [
    "LIMIT_STORES",
    "Admission",
    "Lease",
    "LimitStore",
    "LimitsUnavailable",
    "Measure",
    "Quota",
    "Remaining",
    "Scope",
    "StoreOptions",
    "open_limit_store",
]
