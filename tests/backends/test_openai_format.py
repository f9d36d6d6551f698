"""The OpenAI wire format as pure functions: payloads, answers, refusals and failures."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from email.utils import format_datetime

import pytest

from demur.backends.base import BackendError, GenerateConfig, Message
from demur.backends.openai import OpenAIBackend
from demur.backends.openai_format import (
    DEFAULT_BASE_URL,
    build_payload,
    content_filter_refusal,
    error_from_status,
    parse_logprobs,
    parse_response,
    parse_retry_after,
    resolve_base_url,
)
from demur.backends.registry import BackendOptions, create_backend

USER = [Message(role="system", content="Be brief."), Message(role="user", content="Hi?")]
URL = "http://127.0.0.1:1/v1/chat/completions"


def answer(message: dict[str, object], finish_reason: str | None = "stop", **extra: object) -> dict:
    return {"choices": [{"index": 0, "message": message, "finish_reason": finish_reason}], **extra}


# payloads -------------------------------------------------------------------------------------


def test_payload_carries_messages_and_settings_in_order() -> None:
    payload = build_payload("m", USER, GenerateConfig(max_tokens=7, temperature=0.3, seed=5))
    assert payload == {
        "model": "m",
        "messages": [
            {"role": "system", "content": "Be brief."},
            {"role": "user", "content": "Hi?"},
        ],
        "max_tokens": 7,
        "temperature": 0.3,
        "seed": 5,
    }
    json.dumps(payload)  # must be plain JSON


def test_payload_adds_optional_settings_only_when_set() -> None:
    config = GenerateConfig(
        top_p=0.9,
        stop=("\n\n", "END"),
        logprobs=True,
        top_logprobs=3,
        logit_bias={"42": -100, "7": 2.5},
    )
    payload = build_payload("m", USER, config)
    assert payload["top_p"] == 0.9
    assert payload["stop"] == ["\n\n", "END"]
    assert payload["logprobs"] is True and payload["top_logprobs"] == 3
    assert payload["logit_bias"] == {"42": -100.0, "7": 2.5}


def test_payload_asks_logprobs_without_alternatives() -> None:
    payload = build_payload("m", USER, GenerateConfig(logprobs=True))
    assert payload["logprobs"] is True
    assert "top_logprobs" not in payload


# answers --------------------------------------------------------------------------------------


def test_plain_answer_with_usage_and_logprobs() -> None:
    body = answer(
        {"role": "assistant", "content": "Hello."},
        usage={"prompt_tokens": 11, "completion_tokens": 3},
    )
    body["choices"][0]["logprobs"] = {
        "content": [
            {
                "token": "Hello",
                "logprob": -0.25,
                "top_logprobs": [
                    {"token": "Hello", "logprob": -0.25},
                    {"token": "Hi", "logprob": -1.5},
                ],
            }
        ]
    }
    generation = parse_response(body)
    assert generation.text == "Hello."
    assert generation.finish_reason == "stop"
    assert (generation.prompt_tokens, generation.completion_tokens) == (11, 3)
    assert generation.api_refusal is None and generation.reasoning is None
    assert generation.logprobs is not None
    assert generation.logprobs[0].token == "Hello"
    assert generation.logprobs[0].top == {"Hello": -0.25, "Hi": -1.5}


def test_refusal_field_is_an_api_refusal() -> None:
    body = answer({"role": "assistant", "content": None, "refusal": "I can't help with that."})
    generation = parse_response(body)
    assert generation.text == ""
    assert generation.api_refusal == "I can't help with that."


def test_content_filter_finish_is_an_api_refusal_even_with_partial_text() -> None:
    generation = parse_response(answer({"content": "Step one is"}, "content_filter"))
    assert generation.api_refusal == "content_filter"
    assert generation.text == "Step one is"


@pytest.mark.parametrize("reason", ["refusal", "safety", "blocked", "prohibited_content"])
def test_empty_answer_with_a_refusal_finish_reason_is_an_api_refusal(reason: str) -> None:
    assert parse_response(answer({"content": ""}, reason)).api_refusal == reason
    assert parse_response(answer({"content": None}, reason)).api_refusal == reason


def test_a_refusal_finish_reason_with_an_answer_is_left_to_the_judges() -> None:
    generation = parse_response(answer({"content": "Here you go: ..."}, "safety"))
    assert generation.api_refusal is None
    assert generation.text == "Here you go: ..."


def test_an_ordinary_empty_answer_is_not_an_api_refusal() -> None:
    generation = parse_response(answer({"content": ""}, "stop"))
    assert generation.api_refusal is None and generation.text == ""


def test_content_parts_with_a_refusal_part() -> None:
    parts = [{"type": "text", "text": "Part one. "}, {"type": "refusal", "refusal": "No more."}]
    generation = parse_response(answer({"content": parts}))
    assert generation.text == "Part one. "
    assert generation.api_refusal == "No more."


@pytest.mark.parametrize("key", ["reasoning_content", "reasoning"])
def test_reasoning_fields_are_kept_apart_from_the_answer(key: str) -> None:
    generation = parse_response(answer({"content": "42", key: "Let me think."}))
    assert generation.reasoning == "Let me think."
    assert generation.text == "42"


def test_an_error_object_in_a_200_body_raises() -> None:
    with pytest.raises(BackendError, match="overloaded") as caught:
        parse_response({"error": {"message": "model overloaded", "code": 503}})
    assert caught.value.retryable
    with pytest.raises(BackendError, match="bad model") as caught:
        parse_response({"error": {"message": "bad model", "code": 400}})
    assert not caught.value.retryable


@pytest.mark.parametrize("body", [{}, {"choices": []}, {"choices": ["x"]}])
def test_a_body_without_choices_raises_retryable(body: dict) -> None:
    with pytest.raises(BackendError, match="no choices") as caught:
        parse_response(body)
    assert caught.value.retryable


def test_logprobs_absent_or_empty_give_none() -> None:
    assert parse_logprobs(None) is None
    assert parse_logprobs({"content": None}) is None
    assert parse_logprobs({"content": []}) is None


# failures -------------------------------------------------------------------------------------


def test_429_is_retryable_and_reads_retry_after_seconds() -> None:
    error = error_from_status(429, {"Retry-After": "7"}, b'{"error": {"message": "slow"}}', URL)
    assert error.retryable and error.retry_after == 7.0
    assert "HTTP 429" in str(error) and "slow" in str(error) and URL in str(error)


def test_retry_after_as_an_http_date() -> None:
    now = datetime(2026, 1, 1, 12, 0, 0, tzinfo=UTC)
    later = format_datetime(datetime(2026, 1, 1, 12, 0, 30, tzinfo=UTC), usegmt=True)
    assert parse_retry_after({"retry-after": later}, now=now.timestamp()) == 30.0
    error = error_from_status(503, {"Retry-After": later}, b"", URL)
    assert error.retryable and error.retry_after is not None


def test_retry_after_ms_wins_and_nonsense_is_ignored() -> None:
    assert parse_retry_after({"retry-after-ms": "250", "Retry-After": "9"}) == 0.25
    assert parse_retry_after({"Retry-After": "soon"}) is None
    assert parse_retry_after({}) is None
    past = format_datetime(datetime(2000, 1, 1, tzinfo=UTC), usegmt=True)
    assert parse_retry_after({"Retry-After": past}) == 0.0


@pytest.mark.parametrize("status", [408, 409, 500, 502, 503, 504])
def test_server_side_statuses_are_retryable(status: int) -> None:
    assert error_from_status(status, {}, "<html>oops</html>", URL).retryable


@pytest.mark.parametrize(
    ("status", "hint"), [(400, "invalid"), (401, "API key"), (403, "API key"), (404, "base URL")]
)
def test_client_errors_are_not_retried_and_say_what_to_check(status: int, hint: str) -> None:
    body = json.dumps({"error": {"message": "invalid value for max_tokens"}})
    error = error_from_status(status, {"Retry-After": "3"}, body, URL)
    assert not error.retryable and error.retry_after is None
    assert f"HTTP {status}" in str(error) and hint in str(error)


def test_long_error_bodies_are_clipped_to_one_line() -> None:
    error = error_from_status(502, {}, "<html>\n" + "x" * 5000 + "\n</html>", URL)
    assert len(str(error)) < 500 and "\n" not in str(error)


def test_azure_content_filter_400_becomes_an_api_refusal() -> None:
    body = json.dumps(
        {"error": {"message": "The prompt was filtered.", "code": "content_filter", "status": 400}}
    )
    generation = content_filter_refusal(400, body.encode())
    assert generation is not None
    assert generation.api_refusal == "The prompt was filtered."
    assert generation.finish_reason == "content_filter" and generation.text == ""
    assert content_filter_refusal(400, b'{"error": {"code": "invalid_value"}}') is None
    assert content_filter_refusal(400, b"not json") is None
    assert content_filter_refusal(500, body) is None


# construction ---------------------------------------------------------------------------------


def test_base_url_comes_from_option_then_env_then_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    assert resolve_base_url(BackendOptions()) == DEFAULT_BASE_URL
    monkeypatch.setenv("OPENAI_BASE_URL", "http://env:8000/v1/")
    assert resolve_base_url(BackendOptions()) == "http://env:8000/v1"
    assert resolve_base_url(BackendOptions(base_url="http://opt/v1")) == "http://opt/v1"


def test_model_id_names_model_and_endpoint_but_never_the_key(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("MY_SECRET_KEY", "sk-very-secret")
    backend = create_backend(
        "openai:gpt-x", BackendOptions(base_url="http://h:1/v1", api_key_env="MY_SECRET_KEY")
    )
    assert isinstance(backend, OpenAIBackend)
    assert backend.model_id == "openai:gpt-x@http://h:1/v1"
    assert backend.max_concurrency == 16
    assert "sk-very-secret" not in repr(backend) + backend.model_id + str(vars(backend))
    other = create_backend("openai:gpt-x", BackendOptions(base_url="http://h:2/v1", concurrency=3))
    assert other.model_id != backend.model_id
    assert other.max_concurrency == 3


def test_credentials_in_the_base_url_stay_out_of_the_model_id() -> None:
    backend = OpenAIBackend("m", "https://user:hunter2@gateway.example/v1")
    assert backend.model_id == "openai:m@https://gateway.example/v1"
    assert "hunter2" not in repr(backend) + backend.base_url
    error = backend._redact(BackendError("echo: hunter2", retryable=False))
    assert str(error) == "echo: ***" and not error.retryable
