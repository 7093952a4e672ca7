"""Write `data/answers/formats_{en,ja}.jsonl` from the hand-written answers in
`scripts/answers/formats/{en,ja}_*.txt` (issue 15: harmful answers shaped as emails, stories,
dialogues, forum posts, speeches... and harmless answers in the same formats).

Each source file holds items written one by one, by hand, in one sitting:

    ### <kind code> <format> <category id or ->
    Q: the request
    A:
    the answer, any number of lines

Comment lines (`#`) are allowed only before the first item. A row goes to `test` when the
sha256 of "formats:<lang>:<request>" is 0 mod 5, so answers to the same request stay together.

    python scripts/answers/make_formats_data.py   # rewrites data/answers/formats_*.jsonl
"""

from __future__ import annotations

import hashlib
import json
import re
import sys
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SOURCES = Path(__file__).resolve().parent / "formats"
OUT = ROOT / "data" / "answers"
sys.path.insert(0, str(ROOT / "src"))

from sekimori.taxonomy import CATEGORY_IDS  # noqa: E402

# kind code -> (kind, refusal label, harmful)
KINDS = {
    "h": ("harmful_compliance", "compliance", True),
    "d": ("disguised_compliance", "compliance", True),
    "p": ("persona_compliance", "compliance", True),
    "l": ("partial_leak", "partial", True),
    "r": ("refusal", "refusal", False),
    "o": ("partial_overview", "partial", False),
    "s": ("safe_education", "compliance", False),
    "b": ("ordinary", "compliance", False),
    "m": ("partial_benign", "partial", False),
}
FORMATS = {
    *("email", "story", "dialogue", "chat", "forum", "speech", "letter", "news", "diary"),
    *("poem", "faq", "prose", "steps", "persona", "disclaimer"),
}
_HEADER = re.compile(r"^### (?P<code>\w) (?P<format>\w+) (?P<category>[\w.]+|-)$")
_JA = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff]")


def words(text: str) -> float:
    """English words; for Japanese, characters / 2.5 (about one English word's worth)."""
    return len(re.findall(r"[A-Za-z0-9']+", text)) + len(_JA.findall(text)) / 2.5


def held_back(lang: str, prompt: str, family: str = "formats") -> bool:
    """One request in five goes to `test`, by the sha256 of "<family>:<lang>:<request>"."""
    digest = hashlib.sha256(f"{family}:{lang}:{prompt}".encode()).hexdigest()
    return int(digest, 16) % 5 == 0


def items(path: Path) -> Iterator[tuple[str, str, str | None, str, str]]:
    """(kind code, format, category, prompt, answer) for each item of one source file."""
    blocks = re.split(r"^(?=### )", path.read_text(encoding="utf-8"), flags=re.M)
    head, *rest = blocks
    if any(line.strip() and not line.startswith("#") for line in head.splitlines()):
        raise SystemExit(f"{path.name}: text before the first item")
    for block in rest:
        header, _, body = block.partition("\n")
        m = _HEADER.match(header.strip())
        where = f"{path.name}: {header.strip()!r}"
        if not m:
            raise SystemExit(f"{where}: bad header")
        q, _, a = body.partition("\nA:\n")
        if not q.startswith("Q: ") or not a.strip():
            raise SystemExit(f"{where}: needs a 'Q: ' line and an 'A:' block")
        category = None if m["category"] == "-" else m["category"]
        yield m["code"], m["format"], category, q[3:].strip(), a.strip()


def rows_of(
    lang: str, sources: Path, family: str, field: str, allowed: set[str], prefix: str = ""
) -> Iterator[dict[str, object]]:
    """The rows of one family of hand-written answers (`formats`, `layouts`): ids
    `<family>-<lang>-NNNN`, each answer's shape under ``field`` (one of ``allowed``), read from
    ``<prefix or lang_>*.txt``."""
    n = 0
    for path in sorted(sources.glob(f"{prefix or lang + '_'}*.txt")):
        for code, shape, category, prompt, answer in items(path):
            where = f"{path.name}: {prompt[:50]!r}"
            if code not in KINDS or shape not in allowed:
                raise SystemExit(f"{where}: unknown kind {code} or {field} {shape}")
            kind, refusal, harmful = KINDS[code]
            if category is not None and category not in CATEGORY_IDS:
                raise SystemExit(f"{where}: unknown category {category}")
            if harmful and category is None:
                raise SystemExit(f"{where}: a harmful answer needs a category")
            if "[REDACTED" in answer or not 12 <= words(answer) <= 400:
                raise SystemExit(f"{where}: placeholder or length {words(answer):.0f} words")
            yield {
                "id": f"{family}-{lang}-{n:04d}",
                "lang": lang,
                "split": "test" if held_back(lang, prompt, family) else "train",
                "kind": kind,
                field: shape,
                "prompt": prompt,
                "answer": answer,
                "refusal": refusal,
                "harmful": harmful,
                "category": category,
            }
            n += 1


def rows(lang: str) -> Iterator[dict[str, object]]:
    return rows_of(lang, SOURCES, "formats", "format", FORMATS)


def write_files(
    out: Path, stem: str, rows_in: Callable[[str], Iterable[dict[str, object]]]
) -> None:
    """Write `<stem>_en.jsonl` and `<stem>_ja.jsonl` (a language with no rows: no file)."""
    for lang in ("en", "ja"):
        lines = [json.dumps(r, ensure_ascii=False) for r in rows_in(lang)]
        if lines:
            (out / f"{stem}_{lang}.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
            print(f"{stem}_{lang}.jsonl: {len(lines)} rows")


def main(out: Path = OUT) -> None:
    write_files(out, "formats", rows)


if __name__ == "__main__":
    main()
