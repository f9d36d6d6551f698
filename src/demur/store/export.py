"""Flat exports of a run: one record per item, for pandas, Parquet readers and jq."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from demur.registry import MissingExtraError
from demur.store.records import ResultRow
from demur.store.sqlite import Store


def flat_record(row: ResultRow) -> dict[str, Any]:
    """One run item as flat columns (nested values as JSON text)."""
    prompt, completion, verdict = row.prompt, row.completion, row.verdict
    return {
        "run_id": row.run_id,
        "index": row.index,
        "prompt_id": prompt.id,
        "suite": prompt.suite,
        "language": prompt.language,
        "category": prompt.category,
        "subcategory": prompt.subcategory,
        "expected": prompt.expected.value,
        "pair_id": prompt.pair_id,
        "prompt": prompt.text,
        "response": completion.text if completion else None,
        "finish_reason": completion.finish_reason if completion else None,
        "error": completion.error if completion else None,
        "api_refusal": completion.api_refusal if completion else None,
        "latency_s": completion.latency_s if completion else None,
        "completion_tokens": completion.completion_tokens if completion else None,
        "label": verdict.label.value if verdict else None,
        "form": verdict.form.value if verdict and verdict.form else None,
        "boundary_score": verdict.boundary_score if verdict else None,
        "probability": verdict.probability if verdict else None,
        "judge": f"{verdict.judge} {verdict.judge_version}" if verdict else None,
        "patterns": json.dumps(verdict.patterns) if verdict else None,
    }


def export_run(store: Store, run_id: str, path: Path, judge: str | None = None) -> int:
    """Write a run as JSONL (one nested object per item) or Parquet (flat), by file suffix."""
    rows = store.results(run_id, judge=judge)
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix == ".parquet":
        try:
            import pyarrow as pa
            import pyarrow.parquet as pq
        except ImportError as exc:
            raise MissingExtraError(
                'Parquet export needs pyarrow: pip install "demur[parquet]"'
            ) from exc
        pq.write_table(pa.Table.from_pylist([flat_record(r) for r in rows]), path)
    else:
        with path.open("w", encoding="utf-8") as out:
            for row in rows:
                out.write(row.model_dump_json() + "\n")
    return len(rows)
