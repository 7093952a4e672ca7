"""`sekimori policy`: check a policy file, and show what it decides for given scores."""

from __future__ import annotations

import argparse

from sekimori.errors import InputError
from sekimori.policy import PolicySet, default_policy, load_policy, rule_on


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = subparsers.add_parser(
        "policy",
        help="check a policy file or try a decision (ポリシーの検証と判定の確認)",
        description="Validate a policy YAML file, or show the decision for given category scores. "
        "ポリシーファイルを検証し、指定したスコアに対する判定と理由を表示します。",
    )
    sub = p.add_subparsers(dest="policy_command", metavar="ACTION", required=True)
    check = sub.add_parser("check", help="validate a policy file (ポリシーの検証)")
    check.add_argument("file", help="policy YAML")
    check.set_defaults(func=run_check)
    try_ = sub.add_parser(
        "decide",
        help="show the decision and reasons for scores (判定の確認)",
        description="Example: sekimori policy decide examples/policy.yaml --tenant acme-jp "
        "--model m --score weapons.bio=0.9 --pii card",
    )
    try_.add_argument("file", nargs="?", help="policy YAML (default: the built-in policy)")
    try_.add_argument("--tenant", default="default", help="tenant name (テナント名)")
    try_.add_argument("--model", default="default", help="model name (モデル名)")
    try_.add_argument(
        "--score",
        action="append",
        default=[],
        metavar="CATEGORY=SCORE",
        help="a category score, repeatable: weapons.bio=0.9, custom.x=0.8, allow.y=0.9",
    )
    try_.add_argument("--pii", action="append", default=[], metavar="TYPE", help="a PII type found")
    try_.add_argument(
        "--sure-at",
        type=float,
        default=None,
        metavar="SCORE",
        help="the classifier's sure level (the gateway's model scorer: 0.75): unsure blocks are "
        "held, sure moderate scores block (確信点: これ未満のブロックは保留)",
    )
    try_.set_defaults(func=run_decide)


def _load(file: str | None) -> PolicySet:
    return load_policy(file) if file else default_policy()


def run_check(args: argparse.Namespace) -> int:
    policy = _load(args.file)
    names = ", ".join(sorted(policy.tenants)) or "none"
    print(f"{args.file}: OK — tenants: {names}; others get tier {policy.default_tenant.tier!r}")
    print(f"{args.file}: OK — テナント: {names}、その他は {policy.default_tenant.tier!r} 階層")
    for name, guard in policy.guards.items():
        print(f"  guard / ガード {name}: {guard.kind} {guard.model!r} at {guard.base_url()}")
    return 0


def run_decide(args: argparse.Namespace) -> int:
    scores: dict[str, float] = {}
    for item in args.score:
        cat, sep, value = item.partition("=")
        try:
            score = float(value)
        except ValueError:
            score = -1.0
        if not sep or not 0.0 <= score <= 1.0:
            raise InputError(
                f"--score {item!r}: expected CATEGORY=SCORE with a score in [0, 1] "
                "(例: weapons.bio=0.9)"
            )
        scores[cat] = score
    tenant = _load(args.file).for_tenant(args.tenant)
    ruling = rule_on(scores, tenant, model=args.model, pii_types=args.pii, sure_at=args.sure_at)
    decision = ruling.decision
    held = f", held for the answer ({', '.join(ruling.held)})" if ruling.held else ""
    print(f"tenant {tenant.name} (tier {tenant.tier}): {decision.action.value}{held}")
    for reason in decision.reasons:
        print(f"  - {reason}")
    return 0
