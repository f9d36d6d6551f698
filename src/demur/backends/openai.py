"""Any OpenAI-compatible chat completions endpoint: vLLM, Ollama, llama.cpp server, hosted APIs.

Spec `openai:MODEL`. The endpoint comes from BackendOptions.base_url, else the OPENAI_BASE_URL
environment variable, else the OpenAI API. The key is read from the environment variable named by
BackendOptions.api_key_env when the session opens; it is sent in a header and nowhere else (not in
the model id, not in errors, not in logs). A server without auth works with no key.

The HTTP path is one shared aiohttp session whose connector is sized to the concurrency: measured
on these machines it costs several times less CPU per request than httpx or the openai SDK. The
payload builder and the response parser are pure functions, tested without a network. This module
only classifies failures (BackendError with `retryable` and `retry_after`); the runner retries.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
from collections.abc import Mapping

import aiohttp
from yarl import URL

from demur.backends.base import BackendError, GenerateConfig, Generation, Message
from demur.backends.openai_format import (
    build_payload,
    clip,
    content_filter_refusal,
    error_from_status,
    parse_response,
    resolve_base_url,
)
from demur.backends.registry import BackendOptions

log = logging.getLogger(__name__)

DEFAULT_CONCURRENCY = 16


# -- the backend -------------------------------------------------------------------------------


class OpenAIBackend:
    """Chat completions over one shared aiohttp session, `max_concurrency` requests in flight."""

    def __init__(
        self,
        model: str,
        base_url: str,
        *,
        api_key_env: str = "OPENAI_API_KEY",
        timeout_s: float = 120.0,
        concurrency: int = DEFAULT_CONCURRENCY,
    ):
        if not model:
            raise ValueError("the openai backend needs a model name: openai:MODEL")
        self.model = model
        # Credentials written into the URL (https://user:secret@host) stay out of the model id,
        # which is stored, and out of error messages; aiohttp still sends them.
        shown = URL(base_url).with_user(None)
        self.base_url = str(shown)
        self.url = f"{base_url}/chat/completions"
        self._shown_url = f"{shown}/chat/completions"
        self.model_id = f"openai:{model}@{shown}"
        self.max_concurrency = concurrency
        self._api_key_env = api_key_env
        self._timeout = aiohttp.ClientTimeout(total=timeout_s)
        self._session: aiohttp.ClientSession | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    def __repr__(self) -> str:
        return f"OpenAIBackend(model={self.model!r}, base_url={self.base_url!r})"

    def _open(self) -> aiohttp.ClientSession:
        loop = asyncio.get_running_loop()
        if self._session is not None and not self._session.closed and self._loop is loop:
            return self._session
        if self._session is not None and not self._session.closed:
            # A session belongs to its event loop; the runner may be called again under a new
            # asyncio.run(), and the old loop is gone by then.
            log.debug("the event loop changed; opening a new HTTP session")
        headers = {"Content-Type": "application/json"}
        key = os.environ.get(self._api_key_env)
        if key:
            headers["Authorization"] = f"Bearer {key}"
        connector = aiohttp.TCPConnector(
            limit=self.max_concurrency, limit_per_host=self.max_concurrency
        )
        self._session = aiohttp.ClientSession(
            connector=connector, headers=headers, timeout=self._timeout
        )
        self._loop = loop
        return self._session

    async def generate(self, messages: list[Message], config: GenerateConfig) -> Generation:
        session = self._open()
        data = json.dumps(build_payload(self.model, messages, config), ensure_ascii=False)
        try:
            async with session.post(self.url, data=data.encode()) as response:
                body = await response.read()
                status = response.status
                headers = response.headers
        except TimeoutError as exc:
            raise BackendError(
                f"no answer from {self._shown_url} within {self._timeout.total} s", retryable=True
            ) from exc
        except aiohttp.ClientError as exc:
            # Connection refused or reset, a server that hung up, a broken body: all transient.
            error = BackendError(
                f"{type(exc).__name__} talking to {self._shown_url}: {clip(str(exc))}",
                retryable=True,
            )
            raise self._redact(error) from exc
        if status != 200:
            refused = content_filter_refusal(status, body)
            if refused is not None:
                return refused
            raise self._redact(error_from_status(status, headers, body, self._shown_url))
        try:
            decoded = json.loads(body)
        except ValueError as exc:
            raise BackendError(
                f"{self._shown_url} answered 200 with a non-JSON body: {clip(repr(body[:200]))}",
                retryable=True,
            ) from exc
        if not isinstance(decoded, Mapping):
            raise BackendError(
                f"{self._shown_url} answered 200 with a non-object body", retryable=True
            )
        try:
            return parse_response(decoded)
        except BackendError as exc:
            raise self._redact(exc) from None

    def _redact(self, error: BackendError) -> BackendError:
        """The same error with secrets masked (the key, a password in the URL), in case a server
        or a library echoes them back."""
        secrets = [os.environ.get(self._api_key_env), URL(self.url).password]
        message = str(error)
        found = [s for s in secrets if s and s in message]
        if not found:
            return error
        for secret in found:
            message = message.replace(secret, "***")
        return BackendError(message, retryable=error.retryable, retry_after=error.retry_after)

    async def aclose(self) -> None:
        session, self._session = self._session, None
        if session is not None and not session.closed and self._loop is asyncio.get_running_loop():
            await session.close()


def create(name: str, options: BackendOptions) -> OpenAIBackend:
    """Build the backend for `openai:MODEL`."""
    return OpenAIBackend(
        name,
        resolve_base_url(options),
        api_key_env=options.api_key_env,
        timeout_s=options.timeout_s,
        concurrency=options.concurrency or DEFAULT_CONCURRENCY,
    )
