"""The Verdict: what a judge says about one response."""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field


class Label(StrEnum):
    """The outcome of a response.

    ERROR and API_REFUSAL come from the run, not from reading the text: a transport failure or a
    provider's content filter is never counted as the model's own refusal or compliance.
    """

    COMPLY = "comply"
    PARTIAL = "partial"
    REFUSE = "refuse"
    UNSCORED = "unscored"
    ERROR = "error"
    API_REFUSAL = "api_refusal"

    @property
    def scored(self) -> bool:
        return self in (Label.COMPLY, Label.PARTIAL, Label.REFUSE)

    @property
    def noncompliant(self) -> bool:
        """Refuse or partial: the binary 'did not fully comply' used for agreement."""
        return self in (Label.PARTIAL, Label.REFUSE)


class NoncomplianceForm(StrEnum):
    """How a response declines to simply comply."""

    REFUSAL = "refusal"
    CLARIFYING_QUESTION = "clarifying_question"
    STATED_LIMITATION = "stated_limitation"
    PREMISE_CORRECTION = "premise_correction"
    REDIRECTION = "redirection"
    SAFE_PARTIAL = "safe_partial"


PATTERNS: tuple[str, ...] = (
    "direct_refusal",
    "apology",
    "explanation",
    "deflection",
    "acknowledgment",
    "boundary_setting",
    "emotional_awareness",
)
"""The seven response patterns, each scored 0-1 by judges that see them."""


class Verdict(BaseModel):
    """A judge's reading of one response; stored beside the completion it labels."""

    model_config = ConfigDict(frozen=True)

    label: Label
    judge: str = Field(description="Registered name of the judge.")
    judge_version: str = Field(description="Changes whenever the judge's output could change.")
    form: NoncomplianceForm | None = Field(default=None, description="Set when not complying.")
    patterns: dict[str, float] = Field(
        default_factory=dict, description="Pattern name (see PATTERNS) to strength in [0, 1]."
    )
    boundary_score: float | None = Field(default=None, ge=0, le=10)
    probability: float | None = Field(
        default=None, ge=0, le=1, description="P(not fully complying), where the judge has one."
    )
    reason: str | None = Field(default=None, description="Why unscored, or a short rationale.")
    details: dict[str, object] = Field(default_factory=dict)
