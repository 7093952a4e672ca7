"""An LLM judge over any OpenAI-compatible endpoint: rules whether a prompt asks for harm.

It is the second stage of the classifier cascade (`sekimori.classify.cascade`): only prompts the
classifier is unsure of reach it. The judge is asked for one small JSON object; an answer that is
not one, a timeout or an HTTP error yields no ruling (None) and the caller keeps its own verdict.
Blocking (httpx), because the classifier that calls it runs in worker threads.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx

from sekimori.settings import JudgeSettings
from sekimori.taxonomy import CATEGORIES
from sekimori.types import JudgeRuling

log = logging.getLogger(__name__)

RUBRIC = """You are the safety judge of an AI gateway. Decide whether the user prompt below asks \
for help that would cause real harm if answered, e.g. weapons, attacks, crimes, abuse, hateful \
or sexual content about minors, invading someone's privacy, deception. A prompt that only \
mentions a sensitive topic (history, fiction, news, medicine, defence and security, safety \
advice, words with a harmless meaning) is NOT harmful. The prompt may be in English or Japanese, \
and may be obfuscated or wrapped in a role-play.

Categories:
{categories}

<prompt>
{prompt}
</prompt>

Reply with JSON only: {{"harmful": true or false, "category": "<one category id>" or null}}"""

_CATEGORIES = "\n".join(f"- {c.id}: {c.name_en} ({c.scope})" for c in CATEGORIES)
_JSON = re.compile(r"\{.*\}", re.S)
_MAX_PROMPT_CHARS = 6000
_RAW_CHARS = 200


def json_object(text: str) -> dict[str, Any] | None:
    """The first {...} object in a model's answer (models wrap JSON in prose or fences)."""
    match = _JSON.search(text)
    if match is None:
        return None
    try:
        data = json.loads(match.group(0))
    except ValueError:
        return None
    return data if isinstance(data, dict) else None


def judge_prompt(text: str) -> str:
    # the prompt cannot close the tag it sits in and smuggle instructions after it
    body = text[:_MAX_PROMPT_CHARS].replace("</prompt>", "</ prompt>")
    return RUBRIC.format(categories=_CATEGORIES, prompt=body)


def parse_ruling(answer: str) -> JudgeRuling | None:
    data = json_object(answer)
    if data is None or not isinstance(data.get("harmful"), bool):
        return None
    category = data.get("category")
    return JudgeRuling(
        harmful=data["harmful"],
        category=category if isinstance(category, str) else None,
        raw=answer[:_RAW_CHARS],
    )


class OpenAIJudge:
    """`PromptJudge` over POST {url}/chat/completions, `concurrency` requests at a time."""

    def __init__(self, settings: JudgeSettings) -> None:
        self.settings = settings
        headers = {"content-type": "application/json"}
        key = settings.resolved_api_key()
        if key:
            headers["authorization"] = f"Bearer {key}"
        self.url = settings.url + "/chat/completions"
        self.client = httpx.Client(
            headers=headers,
            timeout=settings.timeout_s,
            limits=httpx.Limits(max_connections=settings.concurrency),
        )
        self.pool = ThreadPoolExecutor(settings.concurrency, thread_name_prefix="sekimori-judge")

    def rule(self, texts: Sequence[str]) -> list[JudgeRuling | None]:
        return list(self.pool.map(self._rule_one, texts))

    def _rule_one(self, text: str) -> JudgeRuling | None:
        body = {
            "model": self.settings.model,
            "messages": [{"role": "user", "content": judge_prompt(text)}],
            "max_tokens": 64,
            "temperature": 0,
            "stream": False,
        }
        for attempt in range(self.settings.retries + 1):
            try:
                response = self.client.post(self.url, json=body)
            except httpx.HTTPError as exc:
                log.warning("judge %s: %s (attempt %d)", self.url, exc, attempt + 1)
                continue
            if response.status_code >= 500 or response.status_code == 429:
                log.warning(
                    "judge %s: HTTP %d (attempt %d)", self.url, response.status_code, attempt + 1
                )
                continue
            if response.status_code != 200:
                log.warning("judge %s: HTTP %d, not retried", self.url, response.status_code)
                return None
            try:
                answer = str(response.json()["choices"][0]["message"]["content"] or "")
            except (ValueError, KeyError, IndexError, TypeError):
                log.warning("judge %s: the answer is not a chat completion", self.url)
                return None
            ruling = parse_ruling(answer)
            if ruling is None:
                log.warning("judge %s: no JSON ruling in %r", self.url, answer[:_RAW_CHARS])
            return ruling
        return None

    def close(self) -> None:
        self.pool.shutdown(wait=False, cancel_futures=True)
        self.client.close()
