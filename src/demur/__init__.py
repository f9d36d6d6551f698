"""demur: measure, explain and tune when chat language models say no."""

from demur.backends.base import Backend, BackendError, GenerateConfig, Generation, Message
from demur.backends.registry import BackendOptions, create_backend
from demur.judges.base import Judge, JudgeItem
from demur.judges.registry import create_judge
from demur.judges.verdict import Label, NoncomplianceForm, Verdict
from demur.run.runner import RunSummary, execute
from demur.run.spec import RunSpec
from demur.store.sqlite import Store
from demur.suites.model import Expected, Prompt, Suite
from demur.suites.resolve import load_suite, resolve_prompts
from demur.taxonomy import Taxonomy, load_taxonomy

__all__ = [
    "Backend",
    "BackendError",
    "BackendOptions",
    "Expected",
    "GenerateConfig",
    "Generation",
    "Judge",
    "JudgeItem",
    "Label",
    "Message",
    "NoncomplianceForm",
    "Prompt",
    "RunSpec",
    "RunSummary",
    "Store",
    "Suite",
    "Taxonomy",
    "Verdict",
    "create_backend",
    "create_judge",
    "execute",
    "load_suite",
    "load_taxonomy",
    "resolve_prompts",
]
