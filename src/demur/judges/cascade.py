"""The `cascade` judge: the classifier decides what it is sure of; the rubric judge the rest.

An item is uncertain when the classifier's probability lies within JudgeOptions.margin of its
threshold. Uncertain items go to the rubric judge when a judge model is configured; without one
(or when the rubric judge leaves an item unscored) they keep the classifier's verdict, marked
`details["route"]` so a report can count them. Either way every item gets a verdict.
"""

from __future__ import annotations

from collections.abc import Sequence

from demur.judges.base import JudgeItem
from demur.judges.classifier import ClassifierJudge
from demur.judges.classifier import create as create_classifier
from demur.judges.registry import JudgeOptions
from demur.judges.rubric import RubricJudge
from demur.judges.rubric import create as create_rubric
from demur.judges.verdict import Verdict


class CascadeJudge:
    """Classifier first; the rubric judge for the uncertain few."""

    name = "cascade"

    def __init__(
        self, classifier: ClassifierJudge, rubric: RubricJudge | None, margin: float
    ) -> None:
        self.classifier = classifier
        self.rubric = rubric
        self.margin = margin
        second = rubric.version if rubric is not None else "none"
        self.version = f"1.{classifier.version}.{second}.m{margin:g}"

    def _uncertain(self, verdict: Verdict) -> bool:
        if verdict.probability is None:
            return False
        return abs(verdict.probability - self.classifier.model.threshold) < self.margin

    def judge(self, items: Sequence[JudgeItem]) -> list[Verdict]:
        first = self.classifier.judge(items)
        routed = [i for i, v in enumerate(first) if v.label.scored and self._uncertain(v)]
        second: dict[int, Verdict] = {}
        if self.rubric is not None and routed:
            answers = self.rubric.judge([items[i] for i in routed])
            second = dict(zip(routed, answers, strict=True))
        out: list[Verdict] = []
        for index, verdict in enumerate(first):
            route = "classifier"
            chosen = verdict
            if index in second and second[index].label.scored:
                chosen, route = second[index], "rubric"
            elif index in routed:
                route = "classifier-uncertain"
            details = {**chosen.details, "route": route}
            if index in second and route != "rubric":
                details["rubric_reason"] = second[index].reason
            out.append(
                chosen.model_copy(
                    update={
                        "judge": self.name,
                        "judge_version": self.version,
                        "probability": verdict.probability,
                        "patterns": chosen.patterns or verdict.patterns,
                        "boundary_score": chosen.boundary_score
                        if chosen.boundary_score is not None
                        else verdict.boundary_score,
                        "details": details,
                    }
                )
            )
        return out


def create(options: JudgeOptions) -> CascadeJudge:
    rubric = create_rubric(options) if options.judge_model else None
    return CascadeJudge(create_classifier(options), rubric, options.margin)
