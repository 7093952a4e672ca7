"""A `{"id", "text", ...}` JSONL input line, checked alike by every command that reads one.

A JSON string may hold an escaped lone surrogate (`"\\ud800"`): Python reads it, but no UTF-8
text can carry it and the screen's hashing and tokenising refuse it, so it is a user's error
named with its line, as the gateway answers such a body with 400.
"""

from __future__ import annotations

import json
import re
from typing import Any

from sekimori.errors import InputError
from sekimori.lang import Text

_NOT_JSON = Text(en="not a JSON object: {why}", ja="JSON オブジェクトではありません: {why}")
_NO_TEXT = Text(en="missing field 'text'", ja="フィールド 'text' がありません")
_BAD_TEXT = Text(
    en="field 'text' must be a string", ja="フィールド 'text' は文字列でなければなりません"
)
_SURROGATE = Text(
    en="field '{field}' holds a lone surrogate (\\u{code:04x} at character {at}): "
    "not valid Unicode",
    ja="フィールド '{field}' に単独のサロゲート（{at} 文字目の \\u{code:04x}）があり、"
    "Unicode として不正です",
)
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def text_row(line: str, *, source: str, number: int, lang: str | None = None) -> dict[str, Any]:
    """The line's JSON object, with a string `text`; a bad line raises `InputError` naming it,
    in `lang`, or in English then Japanese where the command has no language option."""

    def say(message: Text, **values: object) -> str:
        return message(lang, **values) if lang else message.both(**values)

    try:
        row = json.loads(line)
    except json.JSONDecodeError as exc:
        raise InputError(say(_NOT_JSON, why=exc.msg), source=source, line=number) from None
    if not isinstance(row, dict):
        raise InputError(say(_NOT_JSON, why=type(row).__name__), source=source, line=number)
    if "text" not in row:
        raise InputError(say(_NO_TEXT), source=source, line=number)
    if not isinstance(row["text"], str):
        raise InputError(say(_BAD_TEXT), source=source, line=number)
    for field, value in row.items():
        found = _LONE_SURROGATE.search(value) if isinstance(value, str) else None
        if found is not None:
            message = say(_SURROGATE, field=field, code=ord(found.group()), at=found.start() + 1)
            raise InputError(message, source=source, line=number)
    return row
