from __future__ import annotations

import pytest

from demur.dialogue.split import SplitMethod, split_reasoning
from demur.dialogue.stance import Stance, read_stance


@pytest.mark.parametrize(
    ("text", "field", "reasoning", "answer", "method"),
    [
        (
            "Reasoning: think.\nFinal answer: Yes.",
            None,
            "think.",
            "Yes.",
            SplitMethod.ANSWER_MARKER,
        ),
        ("**Reasoning:** a\n\n**Final Answer:** b", None, "a", "b", SplitMethod.ANSWER_MARKER),
        ("Reasoning\nfirst\nFinal answer - done", None, "first", "done", SplitMethod.ANSWER_MARKER),
        (
            "The answer: maybe.\nFinal answer: no",
            None,
            "The answer: maybe.",
            "no",
            SplitMethod.ANSWER_MARKER,
        ),
        (
            "Raisonnement : non.\nRéponse finale : Voici",
            None,
            "non.",
            "Voici",
            SplitMethod.ANSWER_MARKER,
        ),
        (
            "Begründung: nein.\nEndgültige Antwort: Hier",
            None,
            "nein.",
            "Hier",
            SplitMethod.ANSWER_MARKER,
        ),
        (
            "Razonamiento: sí.\nRespuesta final: Aquí",
            None,
            "sí.",
            "Aquí",
            SplitMethod.ANSWER_MARKER,
        ),
        ("推理：可以。\n最终答案：好的", None, "可以。", "好的", SplitMethod.ANSWER_MARKER),
        ("<think>hmm</think>Hello", None, "hmm", "Hello", SplitMethod.TAGS),
        ("<THINKING>\nhmm\n</THINKING>\n\nFinal answer: Hi", None, "hmm", "Hi", SplitMethod.TAGS),
        ("<think>cut off mid", None, "cut off mid", "", SplitMethod.UNCLOSED_TAG),
        ("Answer text", "trace", "trace", "Answer text", SplitMethod.FIELD),
        ("Reasoning: no answer came", None, "no answer came", "", SplitMethod.REASONING_ONLY),
        ("Reasoning: ok\nFinal answer:", None, "ok", "", SplitMethod.ANSWER_MARKER),
        ("Just a reply.", None, None, "Just a reply.", SplitMethod.MISSING),
        ("Final answer: 4", None, None, "4", SplitMethod.ANSWER_MARKER),
        ("Thinking about it, yes.", None, None, "Thinking about it, yes.", SplitMethod.MISSING),
    ],
)
def test_split(
    text: str, field: str | None, reasoning: str | None, answer: str, method: SplitMethod
) -> None:
    split = split_reasoning(text, field)
    assert (split.reasoning, split.answer, split.method) == (reasoning, answer, method)


@pytest.mark.parametrize(
    ("text", "stance"),
    [
        ("This would be fraud. I should refuse.", Stance.DECLINE),
        ("It looks risky, but it is a routine request, so I'll help.", Stance.COMPLY),
        ("I could write it, but it deceives people. I won't write it.", Stance.DECLINE),
        ("This is not something I can help with.", Stance.DECLINE),
        ("The user wants a recipe. I will not refuse; let me explain.", Stance.COMPLY),
        ("It is not harmful; an ordinary question.", Stance.COMPLY),
        ("This is illegal and dangerous.", Stance.DECLINE),
        ("Je ne peux pas faire cela.", Stance.DECLINE),
        ("Ich sollte das ablehnen.", Stance.DECLINE),
        ("Voy a ayudar con la receta.", Stance.COMPLY),
        ("The sky is blue.", Stance.UNCLEAR),
        ("", Stance.UNCLEAR),
    ],
)
def test_stance(text: str, stance: Stance) -> None:
    assert read_stance(text).stance is stance
