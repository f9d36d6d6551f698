"""The OpenAI chat completions wire format, as pure functions: payloads, answers, failures.

Shared by the openai backend (over HTTP) and the llamacpp backend (llama-cpp-python answers in the
same shape), and tested without a network.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Mapping
from email.utils import parsedate_to_datetime
from typing import Any

from demur.backends.base import BackendError, GenerateConfig, Generation, Message, TokenLogprob
from demur.backends.registry import BackendOptions

DEFAULT_BASE_URL = "https://api.openai.com/v1"
BASE_URL_ENV = "OPENAI_BASE_URL"

# Finish reasons with which providers mark an answer they withheld. "content_filter" always
# counts as the provider's refusal; the others only when no answer text came back.
CONTENT_FILTER = "content_filter"
REFUSAL_FINISH_REASONS = frozenset(
    {CONTENT_FILTER, "refusal", "safety", "blocked", "prohibited_content", "spii", "recitation"}
)
# HTTP statuses worth another try: request timeout, conflict (OpenAI uses it for transient lock
# contention), rate limit, and every server error.
RETRYABLE_STATUSES = frozenset({408, 409, 429})
_ERROR_TEXT_LIMIT = 300


def build_payload(model: str, messages: list[Message], config: GenerateConfig) -> dict[str, Any]:
    """The JSON body of one chat completions request.

    Settings equal to every server's default (top_p 1, no stop strings) are left out, so strict
    servers that reject a parameter they do not implement still accept the common case.
    """
    payload: dict[str, Any] = {
        "model": model,
        "messages": [{"role": m.role, "content": m.content} for m in messages],
        "max_tokens": config.max_tokens,
        "temperature": config.temperature,
        "seed": config.seed,
    }
    if config.top_p != 1.0:
        payload["top_p"] = config.top_p
    if config.stop:
        payload["stop"] = list(config.stop)
    if config.logprobs:
        payload["logprobs"] = True
        if config.top_logprobs:
            payload["top_logprobs"] = config.top_logprobs
    if config.logit_bias:
        payload["logit_bias"] = {str(k): float(v) for k, v in config.logit_bias.items()}
    return payload


def parse_response(body: Mapping[str, Any]) -> Generation:
    """A Generation from a chat completions response body (already decoded from JSON).

    Raises BackendError for an error object or a body without a usable choice: a proxy or an
    overloaded server sometimes answers 200 with one of those.
    """
    if body.get("error"):
        raise _error_from_object(body["error"], status=None)
    choices = body.get("choices")
    if not isinstance(choices, list) or not choices or not isinstance(choices[0], Mapping):
        raise BackendError(
            f"the response has no choices: {clip(json.dumps(body)[:_ERROR_TEXT_LIMIT])}",
            retryable=True,
        )
    choice = choices[0]
    message = choice.get("message") or {}
    text, part_refusal = _content_text(message.get("content"))
    finish_reason = choice.get("finish_reason")
    usage = body.get("usage") or {}
    return Generation(
        text=text,
        finish_reason=finish_reason if isinstance(finish_reason, str) else None,
        prompt_tokens=_int_or_none(usage.get("prompt_tokens")),
        completion_tokens=_int_or_none(usage.get("completion_tokens")),
        api_refusal=_api_refusal(message.get("refusal") or part_refusal, finish_reason, text),
        reasoning=_reasoning(message),
        logprobs=parse_logprobs(choice.get("logprobs")),
    )


def parse_logprobs(raw: Any) -> tuple[TokenLogprob, ...] | None:
    """Token log-probabilities in the chat format ({"content": [{token, logprob, top_logprobs}]}).

    Also used by the llamacpp backend, whose answers have the same shape.
    """
    if not isinstance(raw, Mapping) or not raw.get("content"):
        return None
    return tuple(
        TokenLogprob(
            token=str(entry["token"]),
            logprob=float(entry["logprob"]),
            top={str(t["token"]): float(t["logprob"]) for t in entry.get("top_logprobs") or []},
        )
        for entry in raw["content"]
    )


def parse_retry_after(headers: Mapping[str, str], now: float | None = None) -> float | None:
    """Seconds to wait from `retry-after-ms`, or `Retry-After` as seconds or an HTTP date."""
    lowered = {k.lower(): v for k, v in headers.items()}
    millis = lowered.get("retry-after-ms")
    if millis is not None:
        try:
            return max(0.0, float(millis) / 1000)
        except ValueError:
            pass
    value = lowered.get("retry-after")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:  # an HTTP date is GMT by definition
        return None
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


def error_from_status(
    status: int, headers: Mapping[str, str], body: bytes | str, url: str
) -> BackendError:
    """Classify an HTTP failure: 408/409/429/5xx are retried, any other 4xx is not."""
    text = body.decode("utf-8", "replace") if isinstance(body, bytes) else body
    detail = clip(text)
    try:
        decoded = json.loads(text)
    except ValueError:
        decoded = None
    if isinstance(decoded, Mapping) and isinstance(decoded.get("error"), Mapping | str):
        detail = _error_message(decoded["error"])
    retryable = status in RETRYABLE_STATUSES or status >= 500
    hint = "" if retryable else _status_hint(status)
    return BackendError(
        f"HTTP {status} from {url}: {detail}{hint}",
        retryable=retryable,
        retry_after=parse_retry_after(headers) if retryable else None,
    )


def content_filter_refusal(status: int, body: bytes | str) -> Generation | None:
    """A Generation for a prompt that the provider's filter blocked before the model saw it.

    Azure OpenAI and some gateways answer such a prompt with HTTP 400 and the error code
    "content_filter": that is the provider refusing, not a failed request.
    """
    if status != 400:
        return None
    try:
        decoded = json.loads(body)
    except ValueError:
        return None
    error = decoded.get("error") if isinstance(decoded, Mapping) else None
    if not isinstance(error, Mapping) or error.get("code") != CONTENT_FILTER:
        return None
    return Generation(
        text="", finish_reason=CONTENT_FILTER, api_refusal=_error_message(error) or CONTENT_FILTER
    )


def _content_text(content: Any) -> tuple[str, str | None]:
    """Answer text from a string or a list of typed parts, and any refusal part's text."""
    if content is None:
        return "", None
    if isinstance(content, str):
        return content, None
    texts: list[str] = []
    refusals: list[str] = []
    if isinstance(content, list):
        for part in content:
            if not isinstance(part, Mapping):
                continue
            if part.get("type") == "refusal" and isinstance(part.get("refusal"), str):
                refusals.append(part["refusal"])
            elif isinstance(part.get("text"), str):
                texts.append(part["text"])
    return "".join(texts), "".join(refusals) or None


def _api_refusal(refusal: Any, finish_reason: Any, text: str) -> str | None:
    if isinstance(refusal, str) and refusal.strip():
        return refusal
    if finish_reason == CONTENT_FILTER:
        return CONTENT_FILTER
    if finish_reason in REFUSAL_FINISH_REASONS and not text.strip():
        return str(finish_reason)
    return None


def _reasoning(message: Mapping[str, Any]) -> str | None:
    for key in ("reasoning_content", "reasoning"):
        value = message.get(key)
        if isinstance(value, str) and value:
            return value
    return None


def _int_or_none(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _error_message(error: Any) -> str:
    if isinstance(error, Mapping):
        message = error.get("message") or error.get("code") or json.dumps(error)
        return clip(str(message))
    return clip(str(error))


def _error_from_object(error: Any, status: int | None) -> BackendError:
    code = error.get("code") if isinstance(error, Mapping) else None
    numeric = code if isinstance(code, int) else status
    retryable = numeric is None or numeric in RETRYABLE_STATUSES or numeric >= 500
    return BackendError(
        f"the server returned an error: {_error_message(error)}", retryable=retryable
    )


def _status_hint(status: int) -> str:
    if status in (401, 403):
        return " (check the API key's environment variable, see --api-key-env)"
    if status == 404:
        return " (check the model name and the base URL, which usually ends in /v1)"
    return ""


def clip(text: str) -> str:
    """One line of at most a few hundred characters, for error messages."""
    text = " ".join(text.split())
    return text if len(text) <= _ERROR_TEXT_LIMIT else text[: _ERROR_TEXT_LIMIT - 1] + "…"


def resolve_base_url(options: BackendOptions) -> str:
    """The endpoint: the option, else OPENAI_BASE_URL, else the OpenAI API; no trailing slash."""
    chosen = options.base_url or os.environ.get(BASE_URL_ENV) or DEFAULT_BASE_URL
    return chosen.rstrip("/")
