"""Render a report to PNG in headless Chromium, to look at it as a reader would."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

BROWSERS = ("chromium", "chromium-browser", "google-chrome", "chrome")


class ScreenshotError(RuntimeError):
    """No browser was found, or it failed to render the page."""


def find_browser() -> str | None:
    """The first Chromium-like browser on PATH, or None."""
    return next((found for name in BROWSERS if (found := shutil.which(name))), None)


def screenshot(
    html: Path,
    png: Path,
    *,
    width: int = 1400,
    height: int = 2400,
    timeout_s: float = 120.0,
    browser: str | None = None,
) -> Path:
    """Take a screenshot of a local HTML file (offline: no network, no profile, no sync)."""
    exe = browser or find_browser()
    if exe is None:
        raise ScreenshotError(
            "no Chromium found on PATH: install it (Debian: apt-get install -y chromium)"
        )
    png.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="demur-chromium-") as profile:
        command = [
            exe,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--hide-scrollbars",
            f"--user-data-dir={profile}",
            f"--screenshot={png.resolve()}",
            f"--window-size={width},{height}",
            html.resolve().as_uri(),
        ]
        try:
            done = subprocess.run(command, capture_output=True, text=True, timeout=timeout_s)
        except subprocess.TimeoutExpired as exc:
            raise ScreenshotError(f"{exe} took over {timeout_s:.0f}s to render {html}") from exc
    if done.returncode != 0 or not png.is_file():
        raise ScreenshotError(
            f"{exe} failed to render {html} (exit {done.returncode}): {done.stderr[-800:]}"
        )
    return png
