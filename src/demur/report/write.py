"""Writing every report format of one or more runs (first version: tables only)."""

from __future__ import annotations

import html
import json
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from demur.store.sqlite import Store


@dataclass(frozen=True)
class ReportPaths:
    html: Path
    markdown: Path
    json: Path


def write_reports(
    store: Store, run_ids: list[str], out_dir: Path, judge: str | None = None
) -> ReportPaths:
    out_dir.mkdir(parents=True, exist_ok=True)
    data: dict[str, dict[str, dict[str, int]]] = {}
    for run_id in run_ids:
        groups: dict[str, Counter[str]] = {}
        for row in store.results(run_id, judge=judge):
            key = f"{row.prompt.expected.value}/{row.prompt.category}"
            label = row.verdict.label.value if row.verdict else "unjudged"
            groups.setdefault(key, Counter())[label] += 1
        data[run_id] = {k: dict(v) for k, v in sorted(groups.items())}
    paths = ReportPaths(out_dir / "report.html", out_dir / "report.md", out_dir / "report.json")
    paths.json.write_text(json.dumps(data, indent=2), "utf-8")
    lines = ["# demur report", ""]
    for run_id, groups in data.items():
        lines += [f"## run {run_id}", "", "| group | labels |", "|---|---|"]
        lines += [f"| {k} | {json.dumps(v)} |" for k, v in groups.items()]
    paths.markdown.write_text("\n".join(lines) + "\n", "utf-8")
    body = "".join(
        f"<h2>run {html.escape(r)}</h2><table>"
        + "".join(
            f"<tr><td>{html.escape(k)}</td><td>{html.escape(json.dumps(v))}</td></tr>"
            for k, v in g.items()
        )
        + "</table>"
        for r, g in data.items()
    )
    paths.html.write_text(f"<!doctype html><meta charset=utf-8><title>demur</title>{body}", "utf-8")
    return paths
