"""Real server processes on loopback for the backend tests: a scripted fake and llama.cpp's own."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator

import pytest
from backend_servers import StartFake, free_port, start_fake_server, stop, wait_until_ready


@pytest.fixture
def fake_server() -> Iterator[StartFake]:
    """A factory: fake_server("--delay", "0.01") starts one and returns its base URL."""
    started: list[subprocess.Popen[str]] = []

    def start(*args: str) -> str:
        process, url = start_fake_server(*args)
        started.append(process)
        return url

    yield start
    for process in started:
        stop(process)


@pytest.fixture(scope="module")
def llamacpp_server() -> Iterator[str]:
    """llama-cpp-python's OpenAI-compatible server with the embedded model; yields its /v1 URL."""
    pytest.importorskip("llama_cpp.server", reason="needs llama-cpp-python[server]")
    from demur.backends.llamacpp import default_model_path

    port = free_port()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "llama_cpp.server",
            "--model",
            str(default_model_path()),
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--n_ctx",
            "1024",
            "--logits_all",
            "true",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    base = f"http://127.0.0.1:{port}/v1"
    try:
        wait_until_ready(f"{base}/models", process, timeout_s=120)
        yield base
    finally:
        stop(process)
