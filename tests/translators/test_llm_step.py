"""The LLM step's repair loop, driven by a scripted chat (fault injection, no model)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from pipelines.errors import FatalCallError
from translators.baseline import build_spec
from translators.figma import ingest
from translators.fixtures import fixture_path
from translators.llm import Prompts, extract_yaml, generate_spec
from translators.ui_spec import dump_spec

PROMPTS = Path(__file__).resolve().parents[2] / "recipes" / "prompts"
SCREEN = ingest(fixture_path("login"))
GOOD = dump_spec(build_spec(SCREEN.root))


class ScriptedChat:
    """Answers from a list, recording every request."""

    def __init__(self, replies):
        self.replies = list(replies)
        self.calls = []

    async def __call__(self, messages, **sampling):
        self.calls.append((messages, sampling))
        return self.replies.pop(0)


def run(chat, style="full", rounds=3):
    return asyncio.run(generate_spec(SCREEN.compact, chat, Prompts(PROMPTS, style), max_rounds=rounds, seed=40,
                                     sampling={"temperature": 0.3, "max_tokens": 900}))


def test_valid_first_answer_ends_after_one_call():
    chat = ScriptedChat([f"Here you go:\n```yaml\n{GOOD}```\n"])
    outcome = run(chat)
    assert (outcome.status, outcome.rounds, outcome.errors) == ("valid", 1, [])
    assert outcome.spec_yaml == GOOD
    messages, sampling = chat.calls[0]
    assert messages[0]["role"] == "system" and "screen: <lowercase name>" in messages[0]["content"]
    assert SCREEN.compact in messages[1]["content"]
    assert sampling == {"temperature": 0.3, "max_tokens": 900, "seed": 40}


def test_validator_messages_go_back_and_the_repair_is_recorded():
    broken = GOOD.replace("type: column", "type: colum", 1)
    chat = ScriptedChat([broken, GOOD])
    outcome = run(chat)
    assert (outcome.status, outcome.rounds) == ("valid", 2)
    assert outcome.history[0].ok is False and "unknown type 'colum'" in outcome.history[0].errors[0]
    repair = chat.calls[1][0][-1]["content"]
    assert "unknown type 'colum'" in repair and "round1.yaml:5 root: unknown type" in repair and broken.strip() in repair
    assert [c[1]["seed"] for c in chat.calls] == [40, 41]  # a cache never replays the rejected answer


def test_failure_after_the_last_round_keeps_the_errors():
    chat = ScriptedChat(["not yaml: [", "screen: x", "- nope"])
    outcome = run(chat)
    assert (outcome.status, outcome.rounds, outcome.spec_yaml) == ("failed", 3, None)
    assert len(chat.calls) == 3 and len(outcome.history) == 3
    assert outcome.errors == ["round3.yaml: a spec is a mapping with screen, width, height and root\n"
                              "    fix: start the document with `screen: <name>`"]
    assert outcome.as_dict()["history"][0]["errors"][0].startswith("round1.yaml:2:1: invalid YAML")


def test_terse_prompts_send_only_the_compact_tree():
    chat = ScriptedChat(["garbage", GOOD])
    outcome = run(chat, style="terse")
    assert outcome.status == "valid"
    assert chat.calls[0][0] == [{"role": "user", "content": SCREEN.compact}]
    assert chat.calls[1][0] == chat.calls[0][0] and chat.calls[1][1]["seed"] == 41  # a resample


def test_rounds_are_bounded():
    with pytest.raises(ValueError):
        run(ScriptedChat([]), rounds=0)
    outcome = run(ScriptedChat(["x"]), rounds=1)
    assert outcome.status == "failed" and outcome.rounds == 1


def test_extract_yaml():
    assert extract_yaml("```yaml\nscreen: a\n```") == "screen: a\n"
    assert extract_yaml("Sure! Here it is.\nscreen: a\nwidth: 1") == "screen: a\nwidth: 1\n"
    assert extract_yaml("```\nscreen: b\n") == "screen: b\n"


def test_a_refused_call_ends_the_step_as_failed():
    class Refusing:
        calls = 0

        async def __call__(self, messages, **sampling):
            Refusing.calls += 1
            raise FatalCallError("HTTP 400: this model's maximum context length is 384 tokens", status=400)

    outcome = run(Refusing())
    assert (outcome.status, outcome.rounds, Refusing.calls) == ("failed", 1, 1)
    assert outcome.errors == ["call failed: HTTP 400: this model's maximum context length is 384 tokens"]


def test_a_first_reply_from_elsewhere_is_round_one_and_repairs_follow():
    chat = ScriptedChat([GOOD])
    outcome = asyncio.run(generate_spec(SCREEN.compact, chat, Prompts(PROMPTS, "terse"), max_rounds=3, seed=40,
                                        first_reply="screen: x"))
    assert (outcome.status, outcome.rounds) == ("valid", 2) and outcome.history[0].ok is False
    assert [c[1]["seed"] for c in chat.calls] == [41]  # round 1 was the map node's answer


def test_a_faithfulness_check_fails_a_valid_spec_and_its_messages_are_kept():
    chat = ScriptedChat([])
    outcome = asyncio.run(generate_spec(SCREEN.compact, chat, Prompts(PROMPTS, "full"), max_rounds=1,
                                        first_reply=GOOD, faithful=lambda spec: [f"{spec.screen}: made up"]))
    assert (outcome.status, outcome.errors, chat.calls) == ("failed", ["login: made up"], [])


def test_single_puts_the_first_round_in_one_user_message():
    assert Prompts(PROMPTS, "terse").single(SCREEN.compact) == SCREEN.compact
    full = Prompts(PROMPTS, "full")
    system, user = full.first(SCREEN.compact)
    assert full.single(SCREEN.compact) == system["content"] + "\n\n" + user["content"]
