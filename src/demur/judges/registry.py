"""The judge registry. "default" names the best judge that needs no external service."""

from __future__ import annotations

from collections.abc import Callable

from pydantic import BaseModel, ConfigDict, Field

from demur.judges.base import Judge
from demur.registry import LazyRegistry

DEFAULT_JUDGE = "classifier"


class JudgeOptions(BaseModel):
    """Settings a judge may use; each judge reads the fields that concern it."""

    model_config = ConfigDict(frozen=True)

    judge_model: str | None = Field(
        default=None, description="BACKEND:NAME of the judge model (rubric and cascade judges)."
    )
    base_url: str | None = None
    cache_dir: str | None = Field(default=None, description="Where LLM-judge answers are cached.")
    model_path: str | None = Field(
        default=None, description="Classifier weights file (default: the shipped weights)."
    )
    api_key_env: str = Field(
        default="OPENAI_API_KEY", description="Environment variable of the judge model's API key."
    )
    margin: float = Field(
        default=0.25,
        ge=0,
        le=1,
        description="Cascade: items whose classifier probability lies within this distance of "
        "its threshold are uncertain and go to the rubric judge.",
    )


JudgeFactory = Callable[[JudgeOptions], Judge]

judges: LazyRegistry[JudgeFactory] = LazyRegistry("judge", "demur.judges")
judges.add("patterns", "demur.judges.patterns:create")
judges.add("classifier", "demur.judges.classifier:create")
judges.add("rubric", "demur.judges.rubric:create")
judges.add("cascade", "demur.judges.cascade:create")


def create_judge(name: str = "default", options: JudgeOptions | None = None) -> Judge:
    """Build a judge by registered name; "default" picks DEFAULT_JUDGE."""
    factory = judges.get(DEFAULT_JUDGE if name == "default" else name)
    return factory(options or JudgeOptions())
