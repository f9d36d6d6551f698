"""A small OpenAI-compatible chat server on loopback, for tests and benchmarks.

Run: python fake_openai_server.py [--delay SECONDS] [--require-key KEY]. It binds 127.0.0.1 on a
free port and prints `PORT <n>` as its first line. Each answer echoes the last user message.

Directives in the last user message script failures, counted per distinct message:
  [500xN]          HTTP 500 for the first N requests, then an answer ([500] alone: always)
  [429xN ra=S]     HTTP 429 with Retry-After: S for the first N requests, then an answer
  [hang]           never answers (the client's timeout must fire)
  [400]            HTTP 400 with an OpenAI-style error object
  [filter]         HTTP 400 with the error code content_filter (Azure's blocked prompt)
  [refusal]        a 200 answer with the message's `refusal` field set
  [reasoning]      a 200 answer with `reasoning_content`
  [delay=S]        wait S seconds before answering
GET /stats returns {message: [arrival times, time.monotonic()]} so tests can check the backoff.
"""

from __future__ import annotations

import argparse
import asyncio
import re
import sys
import time
from collections import defaultdict
from typing import Any

from aiohttp import web

DIRECTIVE = re.compile(r"\[(\d+|[a-z]+)(?:x(\d+))?(?:=([\d.]+))?(?: ra=([\d.]+))?\]")


def make_app(delay_s: float, require_key: str | None) -> web.Application:
    arrivals: dict[str, list[float]] = defaultdict(list)

    async def chat(request: web.Request) -> web.StreamResponse:
        if require_key is not None and request.headers.get("Authorization") != (
            f"Bearer {require_key}"
        ):
            # Echo what came, as some careless servers do, so clients must redact it.
            got = request.headers.get("Authorization", "nothing")
            return web.json_response(
                {"error": {"message": f"bad key: {got}", "code": "invalid_api_key"}}, status=401
            )
        body: dict[str, Any] = await request.json()
        last = next(m["content"] for m in reversed(body["messages"]) if m["role"] == "user")
        seen = arrivals[last]
        seen.append(time.monotonic())
        count = len(seen)
        message: dict[str, Any] = {"role": "assistant", "content": f"echo: {last}"}
        wait = delay_s
        for name, times, value, retry_after in DIRECTIVE.findall(last):
            limit = int(times) if times else None
            active = limit is None or count <= limit
            if name == "500" and active:
                return web.json_response({"error": {"message": "server fell over"}}, status=500)
            if name == "429" and active:
                return web.json_response(
                    {"error": {"message": "slow down", "code": "rate_limit_exceeded"}},
                    status=429,
                    headers={"Retry-After": retry_after or "0"},
                )
            if name == "hang":
                await asyncio.sleep(3600)
            if name == "400":
                return web.json_response(
                    {"error": {"message": "max_tokens is too large", "code": "invalid_value"}},
                    status=400,
                )
            if name == "filter":
                return web.json_response(
                    {"error": {"message": "the prompt was filtered", "code": "content_filter"}},
                    status=400,
                )
            if name == "refusal":
                message = {"role": "assistant", "content": None, "refusal": "I won't do that."}
            if name == "reasoning":
                message["reasoning_content"] = "thinking it over"
            if name == "delay":
                wait = float(value)
        if wait:
            await asyncio.sleep(wait)
        answer: dict[str, Any] = {
            "id": "chatcmpl-fake",
            "object": "chat.completion",
            "model": body.get("model"),
            "choices": [{"index": 0, "message": message, "finish_reason": "stop"}],
            "usage": {"prompt_tokens": len(last.split()), "completion_tokens": 2},
        }
        if body.get("logprobs"):
            top = [{"token": "echo", "logprob": -0.1}] * int(body.get("top_logprobs") or 0)
            answer["choices"][0]["logprobs"] = {
                "content": [{"token": "echo", "logprob": -0.1, "top_logprobs": top}]
            }
        return web.json_response(answer)

    async def stats(request: web.Request) -> web.Response:
        return web.json_response({"arrivals": arrivals, "now": time.monotonic()})

    app = web.Application()
    app.router.add_post("/v1/chat/completions", chat)
    app.router.add_get("/stats", stats)
    return app


async def serve(delay_s: float, require_key: str | None) -> None:
    runner = web.AppRunner(make_app(delay_s, require_key), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0, backlog=1024)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    sys.stdout.write(f"PORT {port}\n")
    sys.stdout.flush()
    await asyncio.Event().wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--delay", type=float, default=0.0, help="seconds before each answer")
    parser.add_argument("--require-key", default=None, help="answer 401 without this bearer key")
    args = parser.parse_args()
    asyncio.run(serve(args.delay, args.require_key))


if __name__ == "__main__":
    main()
