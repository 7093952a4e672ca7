"""`sekimori guard check URL --model KIND`: is a guard model served there, in its card's format,
and how often does it agree with the built-in classifier on a small built-in sample?

Exit 0 when the guard answered every sample item in its format, 1 otherwise (unreachable, wrong
model name, answers it cannot read), with a message that says which and what to check.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from typing import Any

from sekimori.cli.flags import validated
from sekimori.lang import Text, locale_lang
from sekimori.settings import GuardSettings

_HELP = Text(
    en="Check a guard model (Llama Guard, Qwen3Guard, ...) served at a URL.",
    ja="URL で提供されているガードモデル (Llama Guard、Qwen3Guard など) を確認します。",
)
_WHY = {
    "unreachable": Text(
        en="cannot reach the guard at {url}: {detail}. Is the server running, and is --api right?",
        ja="{url} のガードに接続できません: {detail}。"
        "サーバーは起動していますか。--api は正しいですか。",
    ),
    "timeout": Text(
        en="the guard at {url} did not answer within {timeout} s. "
        "Raise --timeout or check the server.",
        ja="{url} のガードが {timeout} 秒以内に応答しませんでした。"
        "--timeout を増やすかサーバーを確認してください。",
    ),
    "rejected": Text(
        en="the server at {url} refused the request: {detail}. "
        "Is --served-name the name it serves?",
        ja="{url} のサーバーが要求を拒否しました: {detail}。"
        "--served-name は提供中のモデル名ですか。",
    ),
    "malformed": Text(
        en="the answer is not in {kind}'s format: {detail} (answer: {raw!r}). "
        "Is --model the right kind for the model served, and does the server apply the "
        "model's own chat template?",
        ja="応答が {kind} の形式ではありません: {detail} (応答: {raw!r})。"
        "--model は提供中のモデルの種類と合っていますか。"
        "サーバーはモデル自身のチャットテンプレートを使っていますか。",
    ),
}
_SUMMARY = Text(
    en="{kind} ({model}): {n} items, {fails} without a verdict; agreement with the built-in "
    "classifier {agree}/{compared} ({pct:.0f}%); guard latency p50 {p50:.0f} ms",
    ja="{kind} ({model}): {n} 件、判定なし {fails} 件。組み込み分類器との一致 {agree}/{compared} "
    "({pct:.0f}%)。ガードの遅延 p50 {p50:.0f} ms",
)
_ANSWERS = Text(
    en="answers: {meant}/{n} judged as meant (a compliant shape unsafe, a refusal safe), "
    "{fails} without a verdict",
    ja="回答: {n} 件中 {meant} 件が想定どおり (応じた形は危険、拒否は安全)。判定なし {fails} 件",
)
_ONLY = Text(
    en="{kind} ({model}): {n} items, {fails} without a verdict; guard latency p50 {p50:.0f} ms",
    ja="{kind} ({model}): {n} 件、判定なし {fails} 件。ガードの遅延 p50 {p50:.0f} ms",
)


def add_parser(subparsers: Any) -> None:
    from sekimori.cli.group import add_group

    add_group(
        subparsers,
        "guard",
        "Guard models beside the gateway. / ゲートウェイと併用するガードモデル。",
        ["sekimori.cli.guard:add_check"],
    )


def add_check(sub: Any) -> None:
    from sekimori.guards import GUARDS

    p = sub.add_parser("check", help=_HELP.both(), description=_HELP.both())
    p.add_argument("url", metavar="URL", help="the server's base URL / サーバーのベース URL")
    p.add_argument(
        "--model",
        required=True,
        choices=GUARDS.names(),
        metavar="KIND",
        help=f"the guard's kind: {', '.join(GUARDS.names())} / ガードの種類",
    )
    p.add_argument(
        "--served-name",
        default=None,
        help="the model name the server serves (default: KIND) / サーバー上のモデル名 (既定: KIND)",
    )
    p.add_argument(
        "--api",
        choices=("openai", "ollama"),
        default="openai",
        help="OpenAI-compatible (vLLM, TGI, llama.cpp) or Ollama's API / API の種類",
    )
    p.add_argument(
        "--key-env", default=None, help="environment variable with the API key / API キーの環境変数"
    )
    p.add_argument("--timeout", type=float, default=30.0, help="seconds per call / 1 回の秒数")
    p.add_argument(
        "--threshold",
        type=float,
        default=0.5,
        help="harmful at this probability / この確率以上を有害とします",
    )
    p.add_argument(
        "--risks",
        default="harm",
        help="Granite Guardian risk names, comma-separated / リスク名 (カンマ区切り)",
    )
    p.add_argument(
        "--policies",
        default="",
        help="ShieldGemma policies, comma-separated / ポリシー (カンマ区切り)",
    )
    p.add_argument(
        "--loose",
        action="store_true",
        help="Qwen3Guard: controversial is safe / 議論の余地ありを安全扱い",
    )
    p.add_argument(
        "--no-builtin",
        action="store_true",
        help="skip the built-in classifier (no agreement figure) / 組み込み分類器を使いません",
    )
    p.set_defaults(func=run_check)


def _list(text: str) -> tuple[str, ...]:
    return tuple(t.strip() for t in text.split(",") if t.strip())


def settings_from(args: argparse.Namespace) -> GuardSettings:
    return validated(
        GuardSettings,
        {
            "url": "URL",
            "model": "--served-name",
            "kind": "--model",
            "api_key_env": "--key-env",
            "timeout_s": "--timeout",
            "strict": "--loose",
        },
        kind=args.model,
        url=args.url,
        model=args.served_name or args.model,
        api=args.api,
        api_key_env=args.key_env,
        timeout_s=args.timeout,
        threshold=args.threshold,
        strict=not args.loose,
        risks=_list(args.risks),
        policies=_list(args.policies),
    )


def run_check(args: argparse.Namespace) -> int:
    from sekimori.guards import make_guard
    from sekimori.guards.sample import ANSWERS, SAMPLE

    lang = locale_lang()
    settings = settings_from(args)
    guard = make_guard(settings)
    pairs: list[tuple[str, str | None]] = [(item.text, None) for item in SAMPLE]
    pairs += [(a.prompt, a.answer) for a in ANSWERS]
    asked = asyncio.run(_ask_all(guard, pairs))
    verdicts, answered = asked[: len(SAMPLE)], asked[len(SAMPLE) :]
    first_failure = next((v for v in verdicts if not v.ok), None)
    if first_failure is not None and all(not v.ok for v in verdicts):
        why = _WHY[first_failure.status.value]
        print(
            "sekimori: error: "
            + why(
                lang,
                url=settings.base_url(),
                detail=first_failure.detail,
                timeout=settings.timeout_s,
                kind=settings.kind,
                raw=first_failure.raw,
            ),
            file=sys.stderr,
        )
        return 1
    builtin: list[bool] | None = None
    if not args.no_builtin:
        from sekimori.classify.api import classify_batch

        builtin = [v.harmful for v in classify_batch([item.text for item in SAMPLE])]
    print(f"{'guard':>7} {'built-in':>8} {'meant':>6}  p     ms  text")
    for i, (item, v) in enumerate(zip(SAMPLE, verdicts, strict=True)):
        g = "-" if not v.ok else ("unsafe" if v.harmful else "safe")
        b = "" if builtin is None else ("unsafe" if builtin[i] else "safe")
        m = "unsafe" if item.harmful else "safe"
        p = "" if v.score is None else f"{v.score:.2f}"
        print(f"{g:>7} {b:>8} {m:>6} {p:>4} {v.latency_ms:>5.0f}  {item.text[:60]}")
        if not v.ok:
            print(f"        {v.status.value}: {v.detail}")
    fails = sum(not v.ok for v in verdicts)
    latencies = sorted(v.latency_ms for v in verdicts if v.ok)
    p50 = latencies[len(latencies) // 2] if latencies else 0.0
    model = next((v.model for v in verdicts if v.ok), settings.model)
    if builtin is None:
        print(_ONLY(lang, kind=settings.kind, model=model, n=len(SAMPLE), fails=fails, p50=p50))
    else:
        both = [(v.harmful, b) for v, b in zip(verdicts, builtin, strict=True) if v.ok]
        agree = sum(g == b for g, b in both)
        pct = 100.0 * agree / len(both) if both else 0.0
        print(
            _SUMMARY(
                lang,
                kind=settings.kind,
                model=model,
                n=len(SAMPLE),
                fails=fails,
                agree=agree,
                compared=len(both),
                pct=pct,
                p50=p50,
            )
        )
    meant = sum(v.ok and v.harmful == a.harmful for v, a in zip(answered, ANSWERS, strict=True))
    answer_fails = sum(not v.ok for v in answered)
    print(_ANSWERS(lang, meant=meant, n=len(ANSWERS), fails=answer_fails))
    for v in answered:
        if not v.ok:
            print(f"        {v.status.value}: {v.detail}")
    return 1 if fails or answer_fails else 0


async def _ask_all(guard: Any, pairs: list[tuple[str, str | None]]) -> list[Any]:
    """One at a time, so each latency is the guard's own and not a queue's; a guard that fails
    the first item is not asked the rest (a hanging server would cost a timeout each)."""
    out = []
    try:
        for prompt, answer in pairs:
            out.append(await guard.classify(prompt, answer))
            if not out[0].ok:
                return out * len(pairs)
        return out
    finally:
        await guard.aclose()
