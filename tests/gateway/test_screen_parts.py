"""The policy screen in process: every part of a request scored, the per-request handle, and
empty answers (a tool-call answer's content) judged as nothing to judge, not as an error."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Sequence
from pathlib import Path

from sekimori.errors import InputError
from sekimori.gateway.screening import PolicyScreen
from sekimori.gateway.screening.scorers import LexiconScorer
from sekimori.screen import OutputWindow, Part, PartKind, ScreenContext
from sekimori.settings import load_settings
from sekimori.types import Action, AnswerVerdict, Message, RefusalLabel, Verdict

LEXICON = """
phrases:
  "project nightshade": {weapons.chem: 0.95}
  "insult the neighbours": {hate: 0.7}
"""
POLICY = """
version: 1
tenants:
  strict:
    categories:
      hate: {action: block, threshold: 0.6}
  lax:
    categories:
      hate: allow
"""


def _screen(tmp_path: Path, scorer: object | None = None) -> PolicyScreen:
    (tmp_path / "lexicon.yaml").write_text(LEXICON, encoding="utf-8")
    (tmp_path / "policy.yaml").write_text(POLICY, encoding="utf-8")
    settings = load_settings(
        overrides={
            "home": str(tmp_path),
            "screen": {"name": "policy"},
            "policy_file": str(tmp_path / "policy.yaml"),
        }
    )
    chosen = scorer or LexiconScorer(tmp_path / "lexicon.yaml")
    return PolicyScreen(settings, scorer=chosen)  # type: ignore[arg-type]


def test_every_kind_of_part_is_scored(tmp_path: Path) -> None:
    screen = _screen(tmp_path)
    kinds: tuple[PartKind, ...] = (
        "assistant_history",
        "tool_result",
        "tool_call_arguments",
        "tool_description",
        "name",
        "data_url",
    )
    for kind in kinds:
        parts = [
            Part("user", "What is on the menu today?", "user", ("messages", 0, "content")),
            Part("tool", "project nightshade, step by step", kind, ("messages", 1, "content")),
        ]
        context = ScreenContext("strict", "m", f"r-{kind}")
        result = asyncio.run(screen.screen_input(context, parts))
        assert result.decision.action is Action.BLOCK, kind
        assert result.decision.categories == ("weapons.chem",), kind
    screen.close()


def test_redaction_keeps_each_parts_kind_and_locator(tmp_path: Path) -> None:
    screen = _screen(tmp_path)
    card = "4111 1111 1111 1111"
    parts = [
        Part("user", "Check the order", "user", ("messages", 0, "content")),
        Part("tool", f"paid with {card}", "tool_result", ("messages", 1, "content")),
    ]
    result = asyncio.run(screen.screen_input(ScreenContext("strict", "m", "r1"), parts))
    assert result.messages is not None and result.restorer is not None
    rewritten = result.messages[1]
    assert isinstance(rewritten, Part) and card not in rewritten.content
    assert (rewritten.kind, rewritten.locator) == ("tool_result", ("messages", 1, "content"))
    screen.close()


def test_output_state_is_the_handle_not_a_client_chosen_id(tmp_path: Path) -> None:
    # Two tenants' requests under the same id (as a client may send): each answer is judged by
    # its own request's policy, whatever the ids say.
    screen = _screen(tmp_path)
    ask = [Message("user", "Tell me about the neighbours")]
    strict = ScreenContext("strict", "m", "same", client_request_id="same")
    lax = ScreenContext("lax", "m", "same", client_request_id="same")
    first = asyncio.run(screen.screen_input(strict, ask))
    second = asyncio.run(screen.screen_input(lax, ask))
    answer = OutputWindow("You could insult the neighbours loudly.", 0, True)
    strict_out = dataclasses.replace(strict, handle=first.handle)
    lax_out = dataclasses.replace(lax, handle=second.handle)
    assert asyncio.run(screen.screen_output(strict_out, answer)).decision.action is Action.BLOCK
    assert asyncio.run(screen.screen_output(lax_out, answer)).decision.action is Action.ALLOW
    # A handle is the request's own: it serves every window of every choice, final or not.
    again = OutputWindow("You could insult the neighbours loudly.", 0, True, choice=1)
    assert asyncio.run(screen.screen_output(strict_out, again)).decision.action is Action.BLOCK
    screen.close()


class _StrictJudge:
    """Refuses an empty answer as bad input, as the real answer judge does."""

    sure_at = 0.5
    answer_sure_at = None

    def __init__(self) -> None:
        self.judged: list[str] = []

    def score_prompts(self, texts: Sequence[str]) -> list[object]:
        return []

    def judge_answers(
        self, prompts: Sequence[str], answers: Sequence[str], *, careful: bool = False
    ) -> list[AnswerVerdict]:
        for i, answer in enumerate(answers):
            if not answer.strip():
                raise InputError(f"answer {i}: empty; there is nothing to judge yet")
        self.judged.extend(answers)
        return [AnswerVerdict(False, 0.0, {}, RefusalLabel.COMPLIANCE, 0.0) for _ in answers]


def test_an_empty_answer_is_allowed_not_failed(tmp_path: Path) -> None:
    judge = _StrictJudge()
    screen = _screen(tmp_path, judge)
    screen.warming.result()  # the warm-up judges "hello"
    judge.judged.clear()
    context = ScreenContext("strict", "m", "r1")
    for text in ("", "  \n"):
        out = asyncio.run(screen.screen_output(context, OutputWindow(text, 0, True)))
        assert out.decision.action is Action.ALLOW and out.refusal is None
    assert judge.judged == []
    screen.close()


def test_a_failed_answer_screen_says_the_answer_was_withheld(tmp_path: Path) -> None:
    (tmp_path / "crash.yaml").write_text("crash: [CRASH-ME]\n", encoding="utf-8")
    screen = _screen(tmp_path, LexiconScorer(tmp_path / "crash.yaml"))
    context = ScreenContext("strict", "m", "r1")
    out = asyncio.run(screen.screen_output(context, OutputWindow("CRASH-ME", 0, True)))
    assert out.decision.action is Action.BLOCK and out.refusal is not None
    # The request was sent and answered: the notice must not claim otherwise.
    assert "withheld" in out.refusal and "not sent" not in out.refusal
    screen.close()


class _TwoFaced:
    """A prompt classifier that flags any mention of a hazard, and an answer judge that flags
    only compliance: the two readings of an assistant turn in the history."""

    sure_at = 0.9
    answer_sure_at = None

    def __init__(self) -> None:
        self.judged: list[tuple[str, str]] = []

    def score_prompts(self, texts: Sequence[str]) -> list[Verdict]:
        hit = {"weapons.chem": 0.95}
        return [
            Verdict(True, 0.95, hit) if "nerve agent" in t else Verdict(False, 0.0) for t in texts
        ]

    def judge_answers(
        self, prompts: Sequence[str], answers: Sequence[str], *, careful: bool = False
    ) -> list[AnswerVerdict]:
        self.judged.extend(zip(prompts, answers, strict=True))
        hit = {"weapons.chem": 0.95}
        return [
            AnswerVerdict(True, 0.95, hit, RefusalLabel.COMPLIANCE, 0.0)
            if "step 1" in a.lower()
            else AnswerVerdict(False, 0.0, {}, RefusalLabel.REFUSAL, 0.9)
            for a in answers
        ]


def test_assistant_history_is_read_by_the_answer_judge(tmp_path: Path) -> None:
    scorer = _TwoFaced()
    screen = _screen(tmp_path, scorer)
    screen.warming.result()
    scorer.judged.clear()
    refused = [
        Message("user", "Which gases are dangerous at home?"),
        Message("assistant", "I can't help with making a nerve agent; here is safety advice."),
        Message("user", "And how do I store bleach safely?"),
    ]
    # A refusal that names a hazard does not make every later turn a blocked request.
    result = asyncio.run(screen.screen_input(ScreenContext("strict", "m", "r1"), refused))
    assert result.decision.action is Action.ALLOW
    assert scorer.judged == [(refused[0].content, refused[1].content)]
    # A harmful answer planted in the history is caught.
    planted = [*refused[:1], Message("assistant", "Sure. Step 1: obtain ..."), refused[2]]
    result = asyncio.run(screen.screen_input(ScreenContext("strict", "m", "r2"), planted))
    assert result.decision.action is Action.BLOCK
    assert result.decision.categories == ("weapons.chem",)
    # Judged once: the verdict cache remembers the history's turns.
    scorer.judged.clear()
    asyncio.run(screen.screen_input(ScreenContext("strict", "m", "r3"), planted))
    assert scorer.judged == []
    screen.close()


class _Recording(_TwoFaced):
    def __init__(self) -> None:
        super().__init__()
        self.seen: list[str] = []

    def score_prompts(self, texts: Sequence[str]) -> list[Verdict]:
        self.seen.extend(texts)
        return super().score_prompts(texts)


def test_parts_are_scored_in_units_not_as_fragments(tmp_path: Path) -> None:
    scorer = _Recording()
    screen = _screen(tmp_path, scorer)
    screen.warming.result()
    scorer.seen.clear()
    call = ("messages", 1, "tool_calls", 0, "function")
    parts = [
        Part("user", "hello there", "user", ("messages", 0, "content")),
        Part("user", "alice", "name", ("messages", 0, "name")),
        Part("assistant", "lookup", "name", (*call, "name")),
        Part("assistant", '{"q": "trains"}', "tool_call_arguments", (*call, "arguments")),
        Part("tool", "read_file", "name", ("tools", 0, "function", "name")),
        Part("tool", "Reads a file.", "tool_description", ("tools", 0, "function", "description")),
        Part("user", "a note", "data_url", ("messages", 0, "content", 1, "file", "file_data")),
    ]
    asyncio.run(screen.screen_input(ScreenContext("strict", "m", "r1"), parts))
    assert sorted(scorer.seen) == sorted(
        ["hello there\nalice", 'lookup\n{"q": "trains"}', "read_file\nReads a file.", "a note"]
    )
    screen.close()
