"""`sekimori tenants add|list|show|set|suspend|resume|remove`: tenant rows in the store.

A row overrides the policy file for one tenant: its tier, its rate limits figure by figure, and
its status (a suspended tenant's requests are refused). Running gateways pick a change up within
about a second (docs/scale.md, Tenants).
"""

from __future__ import annotations

import argparse
import dataclasses
import time
from collections.abc import Callable

from sekimori.cli.stores import add_store_flags, backend, settings_of
from sekimori.errors import InputError
from sekimori.limits.quota import Quota
from sekimori.policy import BUILTIN_TIERS, configured_policy
from sekimori.store.backend import StoreBackend
from sekimori.store.tenants import (
    Tenant,
    TenantStatus,
    check_display,
    check_name,
    check_tier_name,
    unknown_tenant,
)

_UNSET: object = object()  # a limit flag not given: the row's figure stays
CLEAR = "none"  # a flag's value that removes the row's figure (or tier)
# (flag, Quota field, help) for the tenant's whole traffic; --key-* for each of its keys
_LIMITS = (
    ("rpm", "rpm", "requests per minute / 1分あたりのリクエスト数"),
    ("tpm", "tpm", "tokens per minute / 1分あたりのトークン数"),
    ("concurrent", "concurrent", "concurrent requests / 同時リクエスト数"),
    ("tokens-per-day", "tokens_per_day", "tokens per UTC day / 1日あたりのトークン数"),
    ("tokens-per-month", "tokens_per_month", "tokens per UTC month / 1か月あたりのトークン数"),
)


def _count(value: str) -> int | None:
    if value.lower() == CLEAR:
        return None
    if not value.isdigit():
        raise argparse.ArgumentTypeError(
            f"{value!r} is not a whole number >= 0 or {CLEAR!r} / 0以上の整数か {CLEAR} を指定"
        )
    return int(value)


def _limit_flags(parser: argparse.ArgumentParser, *, clearing: bool) -> None:
    clear = f"; {CLEAR}: remove the override / {CLEAR} で上書きを解除" if clearing else ""
    group = parser.add_argument_group(
        "limits over the policy file's / ポリシーファイルの制限の上書き"
    )
    for flag, field, text in _LIMITS:
        group.add_argument(
            f"--{flag}", type=_count, metavar="N", dest=field, default=_UNSET, help=text + clear
        )
    for flag, field, text in _LIMITS:
        group.add_argument(
            f"--key-{flag}",
            type=_count,
            metavar="N",
            dest=f"key_{field}",
            default=_UNSET,
            help=f"each key: {text}{clear}",
        )


def _name(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("name", help="tenant name, as `keys create --tenant` names it / テナント名")


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser(
        "tenants",
        help="manage tenants: tier, limits, suspension / テナントの管理",
        description="Tenant rows in the store override the policy file for one tenant: its "
        "tier, its rate limits and its status. Keys may name tenants without a row; those "
        "follow the policy file alone. ストアのテナント行は、ポリシーファイルのティア・レート制限・"
        "状態をテナントごとに上書きします。行のないテナントのキーはポリシーファイルどおりに動きます。",
    )
    tenants = parser.add_subparsers(dest="tenants_command", metavar="ACTION", required=True)

    add = tenants.add_parser("add", help="add a tenant row / テナントを追加")
    _name(add)
    add.add_argument("--display-name", default="", help="a name for people / 表示名")
    add.add_argument("--tier", help="policy tier (default: the policy file's) / ポリシーのティア")
    add.add_argument("--suspended", action="store_true", help="add it suspended / 停止状態で追加")
    _limit_flags(add, clearing=False)
    add_store_flags(add)
    add.set_defaults(func=_add)

    listing = tenants.add_parser("list", help="list tenant rows / テナント一覧")
    add_store_flags(listing)
    listing.set_defaults(func=_list)

    show = tenants.add_parser("show", help="one tenant's row and keys / テナントの詳細")
    _name(show)
    add_store_flags(show)
    show.set_defaults(func=_show)

    change = tenants.add_parser(
        "set", help="change a tenant's tier, limits or status / テナントの設定を変更"
    )
    _name(change)
    change.add_argument("--display-name", help="a name for people / 表示名")
    change.add_argument(
        "--tier",
        help=f"policy tier; {CLEAR}: the policy file's / ポリシーのティア（{CLEAR} で解除）",
    )
    change.add_argument(
        "--status", choices=[s.value for s in TenantStatus], help="active or suspended / 状態"
    )
    _limit_flags(change, clearing=True)
    add_store_flags(change)
    change.set_defaults(func=_set)

    for action, status, text in (
        ("suspend", TenantStatus.SUSPENDED, "refuse the tenant's requests / テナントを停止"),
        ("resume", TenantStatus.ACTIVE, "serve a suspended tenant again / テナントを再開"),
    ):
        step = tenants.add_parser(action, help=text)
        _name(step)
        add_store_flags(step)
        step.set_defaults(func=_status(status))

    remove = tenants.add_parser(
        "remove",
        help="remove a tenant row; refused while it has active keys / テナントを削除",
    )
    _name(remove)
    add_store_flags(remove)
    remove.set_defaults(func=_remove)


def _quota(args: argparse.Namespace, prefix: str, base: Quota) -> Quota:
    """`base` with the figures the flags give (None from `none` clears one)."""
    figures = {}
    for _, field, _ in _LIMITS:
        value = getattr(args, prefix + field)
        if value is not _UNSET:
            figures[field] = value
    return dataclasses.replace(base, **figures)


def _check_tier(args: argparse.Namespace, tier: str | None) -> str | None:
    """`tier` if the configured policy defines it; unchecked (with a line saying so) when the
    settings name no policy: the gateway's own file may define it."""
    if tier is None:
        return None
    check_tier_name(tier)
    settings = settings_of(args)
    if settings.policy_file is None and settings.policy is None:
        if tier in BUILTIN_TIERS:
            return tier
        print(
            f"note: tier {tier!r} not checked: no policy in the settings (pass --config); a "
            f"gateway whose policy lacks it keeps the file's tier and logs why / ティアは未検証です"
        )
        return tier
    policy = configured_policy(settings.policy_file, settings.policy)
    if tier not in policy.tiers:
        raise InputError(
            f"tier {tier!r} is not defined in {policy.source}; known: "
            f"{', '.join(sorted(policy.tiers))} / このティアはポリシーに定義されていません",
            source="--tier",
        )
    return tier


def _open(args: argparse.Namespace) -> StoreBackend:
    check_name(args.name, source="NAME")
    return backend(args)


def _when(ts: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(ts))


def _figures(quota: Quota) -> str:
    set_ = [
        f"{f.name} {getattr(quota, f.name)}"
        for f in dataclasses.fields(quota)
        if getattr(quota, f.name) is not None
    ]
    return ", ".join(set_) or "-"


def _add(args: argparse.Namespace) -> int:
    store = _open(args).tenants()
    try:
        now = time.time()
        tenant = Tenant(
            name=args.name,
            display_name=check_display(args.display_name),
            tier=_check_tier(args, args.tier),
            status=TenantStatus.SUSPENDED if args.suspended else TenantStatus.ACTIVE,
            limits=_quota(args, "", Quota()),
            key_limits=_quota(args, "key_", Quota()),
            created=now,
            updated=now,
        )
        store.add(tenant)
    finally:
        store.close()
    print(f"added tenant {tenant.name} ({tenant.status.value}) / テナントを追加しました")
    return 0


def _list(args: argparse.Namespace) -> int:
    store = backend(args).tenants()
    try:
        rows = store.all_tenants()
    finally:
        store.close()
    print(f"{'TENANT':<24}{'STATUS':<11}{'TIER':<14}{'LIMITS':<30}KEY LIMITS")
    for t in rows:
        tier = t.tier or "(policy)"
        print(
            f"{t.name:<24}{t.status.value:<11}{tier:<14}{_figures(t.limits):<30}"
            f"{_figures(t.key_limits)}"
        )
    return 0


def _show(args: argparse.Namespace) -> int:
    store = _open(args)
    tenants, keys = store.tenants(), store.keys()
    try:
        tenant = tenants.get(args.name)
        active = [k.key_id for k in keys.all_keys() if k.tenant == args.name and not k.revoked]
    finally:
        tenants.close()
        keys.close()
    if tenant is None:
        raise unknown_tenant(args.name)
    print(f"tenant        {tenant.name}")
    print(f"display name  {tenant.display_name or '-'}")
    print(f"status        {tenant.status.value}")
    print(f"tier          {tenant.tier or '(the policy file decides / ポリシーファイルどおり)'}")
    print(f"limits        {_figures(tenant.limits)}")
    print(f"key limits    {_figures(tenant.key_limits)}")
    print(f"active keys   {', '.join(active) or '-'}")
    print(f"created       {_when(tenant.created)}")
    print(f"updated       {_when(tenant.updated)}")
    return 0


def _change(args: argparse.Namespace, change: Callable[[Tenant], Tenant], what: str) -> int:
    store = _open(args).tenants()
    try:
        tenant = store.update(args.name, change)
    finally:
        store.close()
    print(f"tenant {tenant.name}: {what} / テナント {tenant.name} を更新しました")
    print(
        f"  status {tenant.status.value}, tier {tenant.tier or '(policy)'}, limits "
        f"{_figures(tenant.limits)}, key limits {_figures(tenant.key_limits)}"
    )
    return 0


def _set(args: argparse.Namespace) -> int:
    tier = args.tier
    if tier is not None and tier.lower() != CLEAR:
        _check_tier(args, tier)
    display = None if args.display_name is None else check_display(args.display_name)
    given = [f for _, f, _ in _LIMITS for f in (f, f"key_{f}") if getattr(args, f) is not _UNSET]
    if tier is None and display is None and args.status is None and not given:
        raise InputError(
            "nothing to change: give --tier, --status, --display-name or a limit flag "
            "/ 変更する項目を指定してください"
        )

    def change(old: Tenant) -> Tenant:
        return dataclasses.replace(
            old,
            display_name=old.display_name if display is None else display,
            tier=old.tier if tier is None else (None if tier.lower() == CLEAR else tier),
            status=old.status if args.status is None else TenantStatus(args.status),
            limits=_quota(args, "", old.limits),
            key_limits=_quota(args, "key_", old.key_limits),
        )

    return _change(args, change, "changed")


def _status(status: TenantStatus) -> Callable[[argparse.Namespace], int]:
    def run(args: argparse.Namespace) -> int:
        what = "suspended" if status is TenantStatus.SUSPENDED else "active again"
        return _change(args, lambda old: dataclasses.replace(old, status=status), what)

    return run


def _remove(args: argparse.Namespace) -> int:
    store = _open(args).tenants()
    try:
        tenant = store.remove(args.name)
    finally:
        store.close()
    print(
        f"removed tenant {tenant.name}; keys made for it later follow the policy file alone / "
        f"テナント {tenant.name} を削除しました"
    )
    return 0
