"""Admission is round-robin across groups (one API call's prompts), FIFO inside a group."""

from moe.engine import EngineConfig, LLMEngine, SamplingParams
from moe.engine.waiting import FairQueue

from tests.moe.engine.conftest import prompt

FIXED = SamplingParams(max_tokens=2, ignore_eos=True, temperature=0)


def admission_order(engine: LLMEngine) -> list[str]:
    order = []
    while engine.has_work():
        engine.step()
        order += [r.request_id for r in engine.scheduler.admitted]
    return order


def test_two_groups_take_turns_and_each_keeps_its_own_order(model):
    engine = LLMEngine(model, EngineConfig(max_num_seqs=1, max_num_batched_tokens=64))
    for group in ("a", "b"):
        for i in range(3):  # distinct prompts: no request waits for another's prefix blocks
            engine.add(engine.make_request(prompt(model, f"{group} question {i}"), FIXED,
                                           f"{group}{i}", group=group))
    assert admission_order(engine) == ["a0", "b0", "a1", "b1", "a2", "b2"]


def test_a_call_with_many_prompts_lets_a_later_call_in_at_the_next_free_slot(model):
    engine = LLMEngine(model, EngineConfig(max_num_seqs=4, max_num_batched_tokens=64))
    for i in range(40):
        engine.add(engine.make_request(prompt(model, f"item {i}"), FIXED, f"big{i}", group="big"))
    engine.step()
    assert [r.request_id for r in engine.scheduler.admitted] == ["big0", "big1", "big2", "big3"]
    engine.add(engine.make_request(prompt(model, "a normal question"), FIXED, "solo"))
    order = admission_order(engine)
    # The slots free together; the big call's next prompt and the solo call take turns.
    assert order[:2] == ["big4", "solo"]
    assert order[2:] == [f"big{i}" for i in range(5, 40)]


def test_requests_without_a_group_are_served_first_come_first_served(model):
    engine = LLMEngine(model, EngineConfig(max_num_seqs=1, max_num_batched_tokens=64))
    for i in range(4):
        engine.add(engine.make_request(prompt(model, f"question {i}"), FIXED, f"r{i}"))
    assert admission_order(engine) == ["r0", "r1", "r2", "r3"]


def test_removal_keeps_the_rotation_and_the_count(model):
    engine = LLMEngine(model, EngineConfig())
    make = lambda rid, group: engine.make_request(prompt(model, rid), FIXED, rid, group=group)
    queue, a0, a1, b0 = FairQueue(), make("a0", "a"), make("a1", "a"), make("b0", "b")
    for r in (a0, a1, b0):
        queue.add(r)
    assert [r.request_id for r in queue.heads()] == ["a0", "b0"]
    queue.take(a0)  # admitted: group a goes to the back
    assert [r.request_id for r in queue.heads()] == ["b0", "a1"]
    assert queue.remove(b0) and not queue.remove(b0)
    assert (len(queue), a1 in queue, b0 in queue, [r.request_id for r in queue]) == (1, True, False, ["a1"])
