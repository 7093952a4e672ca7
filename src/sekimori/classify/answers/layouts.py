"""Other layouts of the same answer, so the answer judges learn content, not layout.

The first answer data set wrote every harmful answer as a numbered list; a judge trained on it
scored a list 0.87 and the same content as prose 0.25. Training therefore also shows each
answer in a second layout, with the same labels: a list flattened into one paragraph, or
running prose turned into a numbered list. Harmful and harmless answers get the same treatment,
so neither layout carries a label. Tables, JSON and code comments are left as they are.
"""

from __future__ import annotations

import re

# A list item: "1." "2)" "３．" "①" or a bullet ("-", "*", "•", "・") at the start of a line.
_ITEM = re.compile(r"^\s*(?:\d+\s*[.)．、]|[-*•・]|[\u2460-\u2473])\s*(?P<text>\S.*)$")
# Tables, JSON/YAML, code comments, headings, and "Speaker:" / "Q." lines of dialogue or FAQ.
_STRUCTURED = re.compile(
    r"^\s*(?:\||[{}\[\]]|#|//|/\*|\*|<!--|[QA][.:．：]|[^\s:：]{1,12}[:：])", re.M
)
_SENTENCE_END = re.compile(r"(?<=[.!?。！？])\s*")
_JA = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")
MIN_ITEMS = 3


def _is_ja(text: str) -> bool:
    return len(_JA.findall(text)) * 4 > len(text)


def flatten_list(text: str) -> str | None:
    """The answer with its list items run together as one paragraph; None without a list."""
    lines = [line for line in text.splitlines() if line.strip()]
    items = [m.group("text").strip() for line in lines if (m := _ITEM.match(line))]
    if len(items) < MIN_ITEMS:
        return None
    ja = _is_ja(text)
    stop, gap = ("。", "") if ja else (".", " ")
    parts = []
    for line in lines:
        m = _ITEM.match(line)
        piece = (m.group("text") if m else line).strip().rstrip(":：")
        if piece and piece[-1] not in ".!?。！？」）)":
            piece += stop
        parts.append(piece)
    return gap.join(parts)


def listify(text: str) -> str | None:
    """Running prose as a lead sentence and a numbered list of the rest; None when the answer
    is already structured (a list, table, JSON, code comments, dialogue, headings) or short."""
    if any(_ITEM.match(line) for line in text.splitlines()) or _STRUCTURED.search(text):
        return None
    sentences = [s.strip() for s in _SENTENCE_END.split(text.strip()) if s.strip()]
    if len(sentences) < MIN_ITEMS + 1:
        return None
    lead, rest = sentences[0], sentences[1:]
    return lead + "\n" + "\n".join(f"{i}. {s}" for i, s in enumerate(rest, 1))


def other_layout(text: str) -> str | None:
    """The same answer in the other layout (list <-> paragraph), or None."""
    return flatten_list(text) or listify(text)
