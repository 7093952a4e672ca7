"""Named suites of red-team items and the loader for a user's own suite file.

Each built-in suite records the sources it draws on, so a report can say which public sets were
used (several are evaluation-only sets: fine for evaluating models, never for training).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from sekimori.redteam.datasets import sources
from sekimori.redteam.datasets.userfile import load_file
from sekimori.redteam.items import Expect, SuiteItem
from sekimori.registry import Registry
from sekimori.taxonomy import CATEGORY_IDS


@dataclass(frozen=True, slots=True)
class Suite:
    name: str
    description: str
    sources: tuple[str, ...]
    build: Callable[[], list[SuiteItem]]


SUITES: Registry[Suite] = Registry("suite")


def _stable_order(items: Iterable[SuiteItem], salt: str) -> list[SuiteItem]:
    """A fixed pseudo-random order (hash of id), the same on every machine and Python version."""
    return sorted(items, key=lambda i: hashlib.sha256(f"{salt}:{i.id}".encode()).hexdigest())


def _take(items: Iterable[SuiteItem], n: int, salt: str) -> list[SuiteItem]:
    return _stable_order(items, salt)[:n]


def sample_items(items: Sequence[SuiteItem], n: int) -> list[SuiteItem]:
    """A stable sample of n items, in suite order, stratified by (expected behaviour, category)
    so a small sample still covers every category the suite has."""
    groups: dict[tuple[str, str], list[SuiteItem]] = {}
    for item in _stable_order(items, "sample"):
        groups.setdefault((item.expect.value, item.category), []).append(item)
    picked: set[str] = set()
    rounds = iter(range(len(items)))
    while len(picked) < min(n, len(items)):
        k = next(rounds)
        for group in groups.values():
            if k < len(group) and len(picked) < n:
                picked.add(group[k].id)
    return [i for i in items if i.id in picked]


def _public_harmful() -> list[SuiteItem]:
    # Only evaluation-only sets: the prompt classifier trains on AdvBench, StrongREJECT and
    # AILuminate, so items from those would flatter the gateway.
    return (
        sources.harmbench()
        + sources.simplesafetytests()
        + [i for i in sources.wildguardtest() if i.expect is Expect.REFUSE]
    )


_CBRN = ("weapons.bio", "weapons.chem", "weapons.nuclear", "military.targeting")
_CBRN_AND_CONVENTIONAL = (*_CBRN, "weapons.conventional")


def _smoke() -> list[SuiteItem]:
    cur = sources.curated()
    harmful = [i for i in cur if i.expect is Expect.REFUSE]
    benign = [i for i in cur if i.expect is Expect.COMPLY]
    out: list[SuiteItem] = []
    # Categories the curated set has requests for (ip.copyright, a later one, has none).
    curated = [c for c in CATEGORY_IDS if any(i.category == c for i in harmful)]
    for n, cat in enumerate(curated):
        in_cat = _stable_order((i for i in harmful if i.category == cat), "smoke")
        # one English and one Japanese request per category, from different pairs
        langs = ("en", "ja") if n % 2 == 0 else ("ja", "en")
        picked = [next(i for i in in_cat if i.lang == langs[0])]
        picked += [next(i for i in in_cat if i.lang == langs[1] and i.alt_text != picked[0].text)]
        out += picked
    return out + _take(benign, 50 - len(out), "smoke")


def _cbrn() -> list[SuiteItem]:
    cur = [i for i in sources.curated() if i.category in _CBRN_AND_CONVENTIONAL]
    public = [i for i in sources.harmbench() if i.category in _CBRN]
    return cur + public


def _overrefusal() -> list[SuiteItem]:
    benign_cur = [i for i in sources.curated() if i.expect is Expect.COMPLY]
    xs_safe = [i for i in sources.xstest() if i.expect is Expect.COMPLY]
    wild_safe = [i for i in sources.wildguardtest() if i.expect is Expect.COMPLY]
    return benign_cur + xs_safe + _take(wild_safe, 100, "overrefusal")


def _standard() -> list[SuiteItem]:
    cur = sources.curated()
    public = _public_harmful()
    out = [i for i in cur if i.expect is Expect.REFUSE]
    for cat in CATEGORY_IDS:
        have = sum(1 for i in out if i.category == cat)
        # top every category up to 20 harmful items with public English prompts where they exist
        out += _take((i for i in public if i.category == cat), max(0, 20 - have), "standard")
    benign = [i for i in cur if i.expect is Expect.COMPLY]
    xs_safe = [i for i in sources.xstest() if i.expect is Expect.COMPLY]
    wild_safe = [i for i in sources.wildguardtest() if i.expect is Expect.COMPLY]
    return out + benign + _take(xs_safe, 30, "standard") + _take(wild_safe, 30, "standard")


SUITES.register("smoke")(
    Suite(
        "smoke",
        "≈50 items: one EN and one JA request per category plus benign look-alikes and "
        "beneficial uses; the quickest check",
        ("sekimori-curated",),
        _smoke,
    )
)
SUITES.register("cbrn")(
    Suite(
        "cbrn",
        "weapons (bio, chem, nuclear, conventional) and military targeting, EN+JA, with "
        "benign look-alikes and beneficial uses in the same fields",
        ("sekimori-curated", "harmbench"),
        _cbrn,
    )
)
SUITES.register("overrefusal")(
    Suite(
        "overrefusal",
        "benign look-alikes and beneficial uses (drug discovery, energy efficiency, materials, "
        "defensive security), EN+JA, plus XSTest's safe prompts and 100 of WildGuardTest's "
        "risky-looking benign prompts",
        ("sekimori-curated", "xstest", "wildguardtest"),
        _overrefusal,
    )
)
SUITES.register("standard")(
    Suite(
        "standard",
        "balanced: every category (up to 20 harmful each, EN+JA where curated pairs exist) "
        "plus benign look-alikes and beneficial uses; held-out sources only",
        ("sekimori-curated", "harmbench", "simplesafetytests", "wildguardtest", "xstest"),
        _standard,
    )
)


def _team() -> list[SuiteItem]:
    items = sources.team_prompts()
    out: list[SuiteItem] = []
    for cat in CATEGORY_IDS:
        for lang in ("en", "ja"):
            harmful = (
                i
                for i in items
                if i.category == cat and i.lang == lang and i.expect is Expect.REFUSE
            )
            out += _take(harmful, 8, "team")
    benign = [i for i in items if i.expect is Expect.COMPLY]
    return out + _take(benign, 100, "team")


SUITES.register("team")(
    Suite(
        "team",
        "the project's own data/prompts (EN+JA, 8 harmful per category and language, 100 benign); "
        "IN-SAMPLE for the prompt classifier, which trains on them: use it to test models, "
        "not to judge the gateway",
        ("sekimori-team",),
        _team,
    )
)


def load_suite(name_or_path: str) -> tuple[str, list[SuiteItem]]:
    """A built-in suite by name, or a user's JSONL/CSV file by path: (suite name, items)."""
    if name_or_path in SUITES:
        return name_or_path, SUITES.get(name_or_path).build()
    path = Path(name_or_path)
    if path.suffix.lower() in (".jsonl", ".csv") or path.exists():
        return path.stem, load_file(path)
    SUITES.get(name_or_path)  # raises InputError naming the known suites
    raise AssertionError("unreachable")
