"""States a dialogue run produces: its record and one row per finished model turn."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from demur.store.records import utc_now


class DialogueRunRecord(BaseModel):
    """A dialogue run: which model met which scenarios under which strategy."""

    model_config = ConfigDict(frozen=True)

    run_id: str
    model: str
    strategy: str
    spec_json: str = Field(description="The DialogueSpec as JSON, to re-create the run.")
    demur_version: str
    created_at: str = Field(default_factory=utc_now)


class TurnRecord(BaseModel):
    """One finished model turn: what was sent, what came back, and the turn judge's call."""

    model_config = ConfigDict(frozen=True)

    run_id: str
    scenario_id: str
    turn: int = Field(ge=0, description="0-based turn index within the scenario.")
    cache_key: str = Field(description="Key of the completion that answered this turn.")
    user_text: str = Field(description="The user message sent: feedback, then the scripted turn.")
    response: str = Field(description="The model's raw text.")
    reasoning: str | None = Field(default=None, description="Reasoning split off, if any.")
    answer: str = Field(description="The final answer, as judged.")
    undesired: bool | None = Field(description="None when the turn judge could not decide.")
    judge: str
    judge_version: str
    reason: str | None = None
    feedback: str | None = Field(
        default=None, description="The strategy's reply to this turn (sent with the next turn)."
    )
    created_at: str = Field(default_factory=utc_now)
