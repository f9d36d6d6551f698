"""The SQLite schema, as numbered migrations. Append; never edit a published step.

Tables (every column documented here is part of the file format):
  meta         key/value; `schema_version` is the number of migrations applied.
  runs         run_id (hash of the run spec), model spec, suite name, spec_json, demur_version,
               created_at (UTC ISO-8601).
  run_items    run_id, item_index (order within the run), prompt_id, prompt_json (the Prompt),
               cache_key (the completion that answers it).
  completions  cache_key (sha256 of model id, config and messages), model, prompt_id,
               messages_json, text, finish_reason, prompt_tokens, completion_tokens, latency_s,
               error (set when all attempts failed: never a refusal), api_refusal (the provider's
               refusal), reasoning, logprobs_json, attempts, created_at.
  verdicts     cache_key, judge, judge_version, label, form, boundary_score, probability,
               verdict_json (the whole Verdict), created_at. One row per judge version, so a
               new judge re-labels an old run beside the earlier verdicts.
"""

from __future__ import annotations

MIGRATIONS: tuple[str, ...] = (
    """
    CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
    CREATE TABLE runs (
        run_id TEXT PRIMARY KEY,
        model TEXT NOT NULL,
        suite TEXT NOT NULL,
        spec_json TEXT NOT NULL,
        demur_version TEXT NOT NULL,
        created_at TEXT NOT NULL
    );
    CREATE TABLE run_items (
        run_id TEXT NOT NULL REFERENCES runs(run_id),
        item_index INTEGER NOT NULL,
        prompt_id TEXT NOT NULL,
        prompt_json TEXT NOT NULL,
        cache_key TEXT NOT NULL,
        PRIMARY KEY (run_id, item_index)
    );
    CREATE INDEX run_items_key ON run_items(cache_key);
    CREATE TABLE completions (
        cache_key TEXT PRIMARY KEY,
        model TEXT NOT NULL,
        prompt_id TEXT NOT NULL,
        messages_json TEXT NOT NULL,
        text TEXT NOT NULL,
        finish_reason TEXT,
        prompt_tokens INTEGER,
        completion_tokens INTEGER,
        latency_s REAL,
        error TEXT,
        api_refusal TEXT,
        reasoning TEXT,
        logprobs_json TEXT,
        attempts INTEGER NOT NULL,
        created_at TEXT NOT NULL
    );
    CREATE TABLE verdicts (
        cache_key TEXT NOT NULL,
        judge TEXT NOT NULL,
        judge_version TEXT NOT NULL,
        label TEXT NOT NULL,
        form TEXT,
        boundary_score REAL,
        probability REAL,
        verdict_json TEXT NOT NULL,
        created_at TEXT NOT NULL,
        PRIMARY KEY (cache_key, judge, judge_version)
    );
    """,
)

SCHEMA_VERSION = len(MIGRATIONS)
