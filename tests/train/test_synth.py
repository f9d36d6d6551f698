"""Training-data synthesis: coverage of the taxonomy, styles, overlap checks, teacher filtering."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from demur.taxonomy import load_taxonomy
from demur.train.overlap import OverlapIndex, builtin_eval_prompts, normalise
from demur.train.synth import (
    Example,
    SynthReport,
    from_templates,
    load_templates,
    read_jsonl,
    synthesise,
    with_teacher,
    write_jsonl,
)
from demur.train.tokens import REFUSAL_TOKENS, first_token, strip_tokens, target_token


def test_templates_cover_every_subcategory_with_both_kinds() -> None:
    templates = load_templates()
    pairs = load_taxonomy().pairs()
    assert {sub for _, sub in pairs} == set(templates.subcategories)
    examples = from_templates(templates, per_subcategory=10)
    noncomply = {e.subcategory for e in examples if e.expected == "noncomply"}
    comply = {e.subcategory for e in examples if e.expected == "comply"}
    assert noncomply == {sub for _, sub in pairs}
    assert len(comply) >= 15
    for example in examples:
        assert load_taxonomy().knows(example.category, example.subcategory)
        assert "{" not in example.messages[1]["content"], example  # every slot was filled


def test_prompts_are_distinct_and_many() -> None:
    examples = from_templates(load_templates(), per_subcategory=60)
    prompts = [e.prompt for e in examples]
    assert len(prompts) > 900
    assert len(set(prompts)) == len(prompts)


def test_styles_differ_and_are_reproducible() -> None:
    templates = load_templates()
    polite = from_templates(templates, style="polite", seed=3)
    again = from_templates(templates, style="polite", seed=3)
    rebuttal = from_templates(templates, style="rebuttal", seed=3)
    assert [e.messages for e in polite] == [e.messages for e in again]
    polite_answers = {e.messages[1]["content"] for e in polite if e.expected == "noncomply"}
    rebuttal_answers = {e.messages[1]["content"] for e in rebuttal if e.expected == "noncomply"}
    assert not polite_answers & rebuttal_answers
    with pytest.raises(ValueError, match="unknown refusal style"):
        from_templates(templates, style="rude")  # type: ignore[arg-type]


def test_overlap_index_finds_exact_and_near_duplicates() -> None:
    index = OverlapIndex(["How do I build a pipe bomb at home?", "Tell me a joke about cats."])
    exact = index.closest("how do I build a PIPE bomb at home")
    assert exact is not None and exact.exact
    near = index.closest("How can I build a pipe bomb at home?")
    assert near is not None and not near.exact and near.similarity >= 0.5
    assert index.closest("What is the capital of Peru?") is None
    assert normalise("Émile, déjà-vu!") == "emile deja vu"


def test_synthesis_drops_prompts_that_appear_in_the_eval_suites() -> None:
    templates = load_templates()
    some = from_templates(templates, per_subcategory=5)
    planted = [some[0].prompt, some[1].request + "!!"]
    examples, report = synthesise(per_subcategory=5, eval_prompts=planted)
    assert report.exact_overlaps + report.near_overlaps >= 2
    prompts = {normalise(e.prompt) for e in examples}
    assert normalise(planted[0]) not in prompts


def test_built_in_synthesis_shares_no_prompt_with_the_built_in_suites() -> None:
    examples, _ = synthesise()
    index = OverlapIndex(builtin_eval_prompts())
    assert all(index.closest(e.prompt) is None for e in examples)


def test_jsonl_round_trip_in_chat_format(tmp_path: Path) -> None:
    examples = from_templates(load_templates(), per_subcategory=2)
    path = tmp_path / "out.jsonl"
    assert write_jsonl(examples, path) == len(examples)
    first = json.loads(path.read_text().splitlines()[0])
    assert [m["role"] for m in first["messages"]] == ["user", "assistant"]
    assert {"category", "subcategory", "expected"} <= set(first)
    assert read_jsonl(path) == examples
    path.write_text('{"messages": "nope"}\n')
    with pytest.raises(ValueError, match=r"out\.jsonl:1"):
        read_jsonl(path)


def test_teacher_answers_are_kept_only_where_the_judge_agrees(tmp_path: Path) -> None:
    examples = from_templates(load_templates(), per_subcategory=1, contrast_variants=1)
    harmful = [e for e in examples if e.expected == "noncomply"][:3]
    benign = [e for e in examples if e.expected == "comply"][:3]
    report = SynthReport()
    # A teacher that always refuses: right for harmful requests, wrong for benign ones.
    kept = with_teacher(harmful + benign, "mock:refuse", report, judge_name="patterns")
    assert {e.expected for e in kept} == {"noncomply"}
    assert all(e.source == "teacher:mock:refuse" for e in kept)
    assert report.teacher_rejected == len(benign)


def test_refusal_token_helpers() -> None:
    assert target_token("unsafe", "noncomply") == REFUSAL_TOKENS["unsafe"]
    assert target_token("unsafe", "comply") == "<|respond|>"
    with pytest.raises(KeyError, match="no refusal token"):
        target_token("weather", "noncomply")
    read = first_token("<|refuse_humanizing|>I'm an AI.")
    assert read.refuses and read.category == "humanizing"
    assert not first_token("<|respond|>Sure.").refuses
    assert first_token("Plain text").token is None
    assert strip_tokens("<|refuse_unsafe|> No.") == "No."


def test_examples_have_a_prompt_property() -> None:
    example = Example(
        messages=({"role": "user", "content": "Q"}, {"role": "assistant", "content": "A"}),
        category="unsafe",
        subcategory="privacy",
        expected="noncomply",
        style="polite",
        source="t",
        request="Q",
    )
    assert example.prompt == "Q"
