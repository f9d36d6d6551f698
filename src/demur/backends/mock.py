"""A scripted backend: real enough to drive the whole pipeline in tests, with no model.

Specs:
  mock:refuse          always a short refusal
  mock:comply          always a short compliant answer
  mock:echo            repeats the last user message
  mock:PATH            a JSONL script: one rule a line, first match wins
Add "?delay=0.05" to wait that many seconds per request (for concurrency tests).

A script rule is {"match": "substring of the last user message" (optional; no match = any),
"response": "...", "error": "message", "retryable": true, "api_refusal": "...",
"reasoning": "...", "finish_reason": "stop"}. A rule with "fail_times": N raises a retryable error
for its first N uses and then answers, to exercise retries.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

from pydantic import BaseModel, ConfigDict

from demur.backends.base import BackendError, GenerateConfig, Generation, Message
from demur.backends.registry import BackendOptions

REFUSAL = "I'm sorry, but I can't help with that request."
COMPLIANCE = "Sure! Here is a helpful answer to your request."


class MockRule(BaseModel):
    """One line of a mock script."""

    model_config = ConfigDict(extra="forbid")

    match: str | None = None
    response: str = ""
    error: str | None = None
    retryable: bool = False
    api_refusal: str | None = None
    reasoning: str | None = None
    finish_reason: str = "stop"
    fail_times: int = 0


def load_script(path: Path) -> list[MockRule]:
    """Read a JSONL mock script; errors name the file and line."""
    rules: list[MockRule] = []
    for number, line in enumerate(path.read_text("utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            rules.append(MockRule.model_validate(json.loads(line)))
        except ValueError as exc:
            raise ValueError(f"{path}:{number}: not a valid mock rule: {exc}") from exc
    return rules


class MockBackend:
    """Answers from fixed rules; counts calls so tests can check what was generated."""

    max_concurrency = 64

    def __init__(self, rules: list[MockRule], model_id: str, delay_s: float = 0.0):
        self.rules = rules
        self.model_id = model_id
        self.delay_s = delay_s
        self.calls = 0
        self._failures: dict[int, int] = {}

    async def generate(self, messages: list[Message], config: GenerateConfig) -> Generation:
        self.calls += 1
        if self.delay_s:
            await asyncio.sleep(self.delay_s)
        last_user = next((m.content for m in reversed(messages) if m.role == "user"), "")
        for index, rule in enumerate(self.rules):
            if rule.match is not None and rule.match not in last_user:
                continue
            return self._answer(index, rule, last_user)
        return Generation(text=last_user, finish_reason="stop")

    def _answer(self, index: int, rule: MockRule, last_user: str) -> Generation:
        failed = self._failures.get(index, 0)
        if failed < rule.fail_times:
            self._failures[index] = failed + 1
            raise BackendError(f"scripted failure {failed + 1}", retryable=True)
        if rule.error is not None:
            raise BackendError(rule.error, retryable=rule.retryable)
        text = last_user if rule.response == "{echo}" else rule.response
        return Generation(
            text=text,
            finish_reason=rule.finish_reason,
            prompt_tokens=len(last_user.split()),
            completion_tokens=len(text.split()),
            api_refusal=rule.api_refusal,
            reasoning=rule.reasoning,
        )

    async def aclose(self) -> None:
        return None


def create(name: str, options: BackendOptions) -> MockBackend:
    base, _, query = name.partition("?")
    params: dict[str, Any] = {k: v[-1] for k, v in parse_qs(query).items()}
    delay = float(params.get("delay", 0.0))
    script = options.script or base
    presets = {
        "refuse": [MockRule(response=REFUSAL)],
        "comply": [MockRule(response=COMPLIANCE)],
        "echo": [MockRule(response="{echo}")],
    }
    if script in presets:
        return MockBackend(presets[script], f"mock:{script}", delay)
    path = Path(script)
    if not path.is_file():
        raise ValueError(
            f"mock backend: {script!r} is neither a preset (refuse, comply, echo) nor a script file"
        )
    return MockBackend(load_script(path), f"mock:{path.resolve()}", delay)
