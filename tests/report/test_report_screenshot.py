"""The report as a reader sees it: rendered by headless Chromium (Debian's chromium package)."""

from __future__ import annotations

import json
import struct
import subprocess
import zlib
from pathlib import Path

import pytest
from report_demo import Demo, load_demo_script

from demur.report import write_reports
from demur.report.screenshot import find_browser, screenshot
from demur.store.sqlite import Store


def png_rows(path: Path) -> tuple[int, int, bytes]:
    """Width, height and the raw (filtered) scanlines of an 8-bit RGB(A) PNG."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat, width, height = 8, b"", 0, 0
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos : pos + 8])
        body = data[pos + 8 : pos + 8 + length]
        if kind == b"IHDR":
            width, height = struct.unpack(">II", body[:8])
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    return width, height, zlib.decompress(idat)


@pytest.mark.slow
def test_chromium_renders_the_report_with_content_top_to_bottom(demo: Demo, tmp_path: Path) -> None:
    if find_browser() is None:
        pytest.skip("no chromium on PATH (CI installs Debian's chromium)")
    with Store(demo.store) as store:
        html = write_reports(store, demo.run_ids, tmp_path / "report").html
    png = screenshot(html, tmp_path / "shot.png", width=1400, height=2400)
    width, height, raw = png_rows(png)
    assert (width, height) == (1400, 2400)
    # A blank or failed page compresses to almost nothing; a drawn report does not.
    assert png.stat().st_size > 60_000
    # Content in every quarter of the page: the charts and tables laid out, not one block.
    stride = len(raw) // height
    for quarter in range(4):
        rows = raw[quarter * height // 4 * stride : (quarter + 1) * height // 4 * stride]
        assert len(set(rows)) > 40, f"quarter {quarter + 1} of the screenshot looks empty"


@pytest.mark.slow
def test_the_search_box_filters_examples_in_a_real_browser(demo: Demo, tmp_path: Path) -> None:
    browser = find_browser()
    if browser is None:
        pytest.skip("no chromium on PATH (CI installs Debian's chromium)")
    with Store(demo.store) as store:
        paths = write_reports(store, demo.run_ids, tmp_path / "report")
    html = paths.html
    word = json.loads(paths.json.read_text("utf-8"))["examples"][0]["examples"][0]["prompt_id"]
    # Type an example's id, as a reader would, then read the live DOM.
    typed = tmp_path / "typed.html"
    typed.write_text(
        html.read_text("utf-8").replace(
            "</body>",
            f"<script>var q=document.getElementById('q');q.value='{word}';"
            "q.dispatchEvent(new Event('input'));</script></body>",
        ),
        "utf-8",
    )
    done = subprocess.run(
        [browser, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         f"--user-data-dir={tmp_path / 'profile'}", "--dump-dom", typed.as_uri()],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    dom = done.stdout
    shown = dom.count('class="ex">')
    hidden = dom.count('class="ex" hidden=""')
    assert shown >= 1 and hidden > 10, (shown, hidden)
    assert f"{shown} example" in dom


@pytest.mark.slow
def test_the_screenshot_script_builds_a_demo_and_renders_it(tmp_path: Path) -> None:
    if find_browser() is None:
        pytest.skip("no chromium on PATH (CI installs Debian's chromium)")
    script = load_demo_script()
    assert script.main(["--out", str(tmp_path), "--sample", "20", "--height", "900"]) == 0
    width, height, _ = png_rows(tmp_path / "report-top.png")
    assert (width, height) == (1400, 900)
    assert (tmp_path / "report" / "report.md").is_file()
