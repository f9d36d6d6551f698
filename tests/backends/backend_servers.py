"""Start and stop real server processes on loopback for the backend tests and benchmarks."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path

FAKE_SERVER = Path(__file__).with_name("fake_openai_server.py")

StartFake = Callable[..., str]
"""fake_server("--delay", "0.01") starts a fake server and returns its base URL."""


def start_fake_server(*args: str) -> tuple[subprocess.Popen[str], str]:
    """Start the scripted fake server; returns the process and its base URL (ending in /v1)."""
    process = subprocess.Popen(
        [sys.executable, str(FAKE_SERVER), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    line = process.stdout.readline()
    if not line.startswith("PORT "):
        process.kill()
        _, err = process.communicate(timeout=10)
        raise RuntimeError(f"the fake server did not start: {line!r} {err[-2000:]}")
    return process, f"http://127.0.0.1:{int(line.split()[1])}/v1"


def stop(process: subprocess.Popen[str]) -> None:
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def wait_until_ready(url: str, process: subprocess.Popen[str], timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited with code {process.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.3)
    raise RuntimeError(f"{url} was not ready within {timeout_s} s")
