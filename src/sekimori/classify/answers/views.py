"""A structured answer read as plain sentences, so that layout cannot hide what it says.

The answer judge was trained on prose, lists and a few dozen tables and JSON objects; an answer
written as JSON, YAML, key-value lines, a table (markdown pipes, ASCII boxes, aligned columns,
CSV) or code comments reaches it as keys, brackets and rules around short fragments, and a
harmful one can score under the threshold that the same words as sentences reach. `prose_view`
renders such an answer as running sentences: JSON and YAML values as "Key is value." sentences
(values alone where the key is a number or an index), table rows as one sentence each (cells
joined with commas), comments without their markers, code lines dropped (string literals of a
few words kept), rules and brackets dropped; lines that are already prose are kept as they are.
The judge scores both texts and takes the higher score per category (`AnswerJudge(views=True)`).

Detection is by lines: an answer is structured when at least `MIN_LINES` of its lines are
rendered differently (a list alone is not: the judge is trained on lists and on lists run
together, `layouts.py`). Pure functions of the text; nothing here reads a model.
"""

from __future__ import annotations

import re

from sekimori.classify.answers.layouts import _is_ja

# Lines that must be rendered for an answer to count as structured.
MIN_LINES = 2
# Code string literals kept in a code line: at least this many words (EN) or characters (JA).
_MIN_WORDS = 3
_MIN_JA_CHARS = 6

_STRING = re.compile(r'"((?:[^"\\\n]|\\.)*)"|\'((?:[^\'\\\n]|\\.)*)\'')
_JSON_PAIR = re.compile(r'"((?:[^"\\\n]|\\.)*)"\s*:')
_RULE = re.compile(r"^\s*[-=+|:_~*#─━│┃┌┐└┘├┤┬┴┼═║╔╗╚╝╠╣╦╩╬\s]*$")
_FENCE = re.compile(r"^\s*(```|~~~)")
_PIPE_ROW = re.compile(r"[|｜│┃║]")
_BOX_EDGE = re.compile(r"^[\s|｜│┃║]+|[\s|｜│┃║]+$")
_COMMENT = re.compile(r"^\s*(?:#+|//+|/\*+|\*+/?|--|;+|<!--|%)\s?(?P<text>.*?)\s*(?:\*/|-->)?\s*$")
_TRAILING_COMMENT = re.compile(r"(?:\s#|//|\s--)\s+(?P<text>\S.*)$")
# A key-value line: a short key, a colon, a value ("- key: value" in YAML lists too).
_KEY_VALUE = re.compile(
    r"^\s*(?:-\s+)?[\"']?(?P<key>[^\s:：\"'][^:：\"]{0,30}?)[\"']?\s*[:：]\s*(?P<value>.*)$"
)
_LIST_ITEM = re.compile(r"^\s*(?:\d+\s*[.)．、]|[-*•・]|[\u2460-\u2473])\s*(?P<text>\S.*)$")
_YAML_ITEM = re.compile(r"^\s*-\s+(?P<text>\S.*)$")
_CHECK_ITEM = re.compile(r"^\s*(?:[-*•・]\s*)?\[[ xX✓]?\]\s*(?P<text>\S.*)$")
_CODE_HINT = re.compile(
    r"[;{}=]\s*$|^\s*(?:def|class|import|from|return|if|for|while|function|const|let|var|"
    r"print|echo|sudo|pip|npm|SELECT|INSERT)\b"
)
_URL_KEY = re.compile(r"^(?:https?|ftp|file)$", re.I)
_INDEX_KEY = re.compile(r"^(?:[a-z]?\d+|step[\s_-]*\d+|item[\s_-]*\d+|id)$", re.I)
_SPLIT_ALIGNED = re.compile(r"\t+|\s{2,}")
_SENTENCE_END = ".!?。！？」）)"


def _stop(ja: bool) -> str:
    return "。" if ja else "."


def _sentence(text: str, ja: bool) -> str:
    text = text.replace("**", "").replace("__", "").strip().strip(",，、;；:：").strip()
    if not text:
        return ""
    if text[-1] not in _SENTENCE_END:
        text += _stop(ja)
    if not ja and text[0].islower():
        text = text[0].upper() + text[1:]
    return text


def _humanize(key: str) -> str:
    return re.sub(r"[_\-]+", " ", re.sub(r"(?<=[a-z])(?=[A-Z])", " ", key)).strip()


def _pair(key: str, value: str, ja: bool, keys: bool = True) -> str:
    """'key: value' as a sentence: "Key is value." / 「keyは、value。」; the value alone where
    the key says nothing (a number, an index) or the value is long."""
    key, value = _humanize(key.strip()), value.strip().strip(",，").strip().strip("\"'")
    if not value:
        return _sentence(key, ja) if key else ""
    if not keys or not key or _INDEX_KEY.match(key) or _URL_KEY.match(key):
        return _sentence(value, ja)
    # A sentence after its key (a speaker, a label): the sentence alone.
    if _is_sentence(value, ja):
        return _sentence(value, ja)
    if ja:
        return _sentence(f"{key}は、{value}", ja)
    return _sentence(f"{key.lower() if key.isupper() else key} is {value}", ja)


def _short_pair(text: str, ja: bool) -> bool:
    """'key: value' with a value that is a fragment, not a sentence (a YAML list's entry)."""
    kv = _KEY_VALUE.match(text)
    if kv is None:
        return False
    value = kv.group("value").strip()
    return bool(value) and not _is_sentence(value, ja)


def _is_sentence(value: str, ja: bool) -> bool:
    return value[-1] in _SENTENCE_END or len(value if ja else value.split()) > (40 if ja else 8)


def _json_line(line: str, ja: bool, keys: bool = True) -> str | None:
    """A line of JSON (or a JS/Python literal) as sentences; None when it has no strings."""
    if not ('"' in line or re.match(r"^\s*[\[\]{}],?\s*$", line)):
        return None
    if re.match(r"^\s*[\[\]{}]+,?\s*$", line):
        return ""
    starts = {m.start(): m.group(1) for m in _JSON_PAIR.finditer(line)}
    if not starts and not line.lstrip().startswith('"'):
        return None
    out: list[str] = []
    key: str | None = None
    values: list[str] = []
    for m in _STRING.finditer(line):
        text = m.group(1) if m.group(1) is not None else m.group(2) or ""
        if m.start() in starts:
            if key is not None or values:
                out.append(_pair(key or "", ", ".join(values), ja, keys))
            key, values = text, []
        else:
            values.append(text)
    # numbers, true/false after the last key
    if key is not None and not values:
        tail = line.split(":", 1)[-1].strip().strip(",{[").strip()
        if tail and not tail.startswith('"'):
            values.append(tail)
    if key is not None or values:
        out.append(_pair(key or "", ", ".join(values), ja, keys))
    return " ".join(s for s in out if s)


def _cells(line: str) -> list[str]:
    if _PIPE_ROW.search(line):
        inner = _BOX_EDGE.sub("", line)
        return [c.strip() for c in re.split(r"[|｜│┃║]", inner) if c.strip()]
    return [c.strip() for c in _SPLIT_ALIGNED.split(line.strip()) if c.strip()]


def _csv_block(lines: list[str]) -> set[int]:
    """Indexes of lines in runs of >= 3 lines with the same number (>= 1) of commas."""
    found: set[int] = set()
    run: list[int] = []
    count = -1
    for i, line in enumerate([*lines, ""]):
        n = line.count(",") if line.strip() and not line.rstrip().endswith((".", "。")) else 0
        if n >= 1 and n == count:
            run.append(i)
        else:
            if len(run) >= 3:
                found.update(run)
            run, count = ([i], n) if n >= 1 else ([], -1)
    return found


def _aligned_block(lines: list[str]) -> set[int]:
    """Indexes of lines in runs of >= 3 lines split into >= 2 columns by tabs or 2+ spaces."""
    found: set[int] = set()
    run: list[int] = []
    for i, line in enumerate([*lines, ""]):
        if line.strip() and len(_SPLIT_ALIGNED.split(line.strip())) >= 2:
            run.append(i)
            continue
        if len(run) >= 3:
            found.update(run)
        run = []
    return found


def _code_line(line: str, ja: bool) -> str:
    """A code line: its trailing comment and its string literals of a few words, else nothing."""
    kept = []
    comment = _TRAILING_COMMENT.search(line)
    code = line[: comment.start()] if comment else line
    for m in _STRING.finditer(code):
        text = m.group(1) if m.group(1) is not None else m.group(2) or ""
        long_enough = len(text) >= _MIN_JA_CHARS if _is_ja(text) else len(text.split()) >= 3
        if long_enough:
            kept.append(_sentence(text, ja))
    if comment:
        kept.append(_sentence(comment.group("text"), ja))
    return " ".join(kept)


def prose_view(text: str, *, keys: bool = True) -> str | None:
    """The answer rendered as plain sentences, or None when it is not structured (fewer than
    MIN_LINES lines rendered differently) or the rendering is empty. keys=False: values alone,
    without their keys (bench variant A3)."""
    lines = text.splitlines()
    if len(lines) < MIN_LINES and len(_JSON_PAIR.findall(text)) < MIN_LINES:
        return None
    ja = _is_ja(text)
    csv_rows = _csv_block(lines)
    aligned_rows = _aligned_block(lines)
    out: list[str] = []
    changed = 0
    in_code = False
    for i, raw in enumerate(lines):
        line = raw.rstrip()
        if not line.strip():
            continue
        if _FENCE.match(line):
            in_code = not in_code
            changed += 1
            continue
        rendered: str | None
        comment = _COMMENT.match(line)
        if in_code:
            if line.lstrip().startswith("#!"):
                rendered = ""
            elif comment and not line.lstrip().startswith("*"):
                rendered = _sentence(comment.group("text"), ja)
            elif (json_text := _json_line(line, ja, keys)) is not None:
                rendered = json_text
            elif kv := _KEY_VALUE.match(line):
                rendered = _pair(kv.group("key"), kv.group("value"), ja, keys)
            else:
                rendered = _code_line(line, ja)
        elif _RULE.match(line):
            rendered = ""
        elif (json_text := _json_line(line, ja, keys)) is not None:
            rendered = json_text
        elif _PIPE_ROW.search(line) and len(_cells(line)) >= 2:
            rendered = _sentence(", ".join(_cells(line)), ja)
        elif i in csv_rows:
            rendered = _sentence(", ".join(c.strip() for c in line.split(",")), ja)
        elif i in aligned_rows:
            rendered = _sentence(", ".join(_cells(line)), ja)
        elif check := _CHECK_ITEM.match(line):
            rendered = _sentence(check.group("text"), ja)
        elif comment and comment.group("text") and not re.match(r"^\s*[-*]\s", line):
            rendered = _sentence(comment.group("text"), ja)
        elif (item := _LIST_ITEM.match(line)) and not _short_pair(item.group("text"), ja):
            out.append(_sentence(line, ja))
            continue  # a list item ("1. Title: a sentence."): the judge reads lists as they are
        elif (kv := _KEY_VALUE.match(line)) and not re.search(r"https?$", kv.group("key")):
            rendered = _pair(kv.group("key"), kv.group("value"), ja, keys)
        elif _CODE_HINT.search(line) and not re.search(r"[.。!?！？]\s*$", line):
            rendered = _code_line(line, ja)
        elif yaml_item := _YAML_ITEM.match(line):
            out.append(_sentence(yaml_item.group("text"), ja))
            continue  # a list item: not a change of layout on its own
        else:
            out.append(_sentence(line, ja) if len(line.strip()) > 1 else "")
            continue
        if rendered != line.strip():
            # a line of minified JSON counts once per key it held
            changed += max(1, len(_JSON_PAIR.findall(line))) if rendered else 1
        out.append(rendered)
    if changed < MIN_LINES:
        return None
    view = ("" if ja else " ").join(s for s in out if s).strip()
    return view or None
