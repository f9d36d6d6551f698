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
  dialogue_runs   (migration 2, demur.dialogue) run_id (hash of the DialogueSpec), model spec,
               strategy (polite, rebuttal, none), spec_json, demur_version, created_at.
  dialogue_turns  (migration 2) one row per finished model turn of a scenario: run_id,
               scenario_id, turn (0-based), cache_key (the completion that answered it), user_text
               (the user message sent: the interlocutor's feedback, if any, then the scripted
               turn), response (raw model text), reasoning (split-off reasoning, or NULL), answer
               (the final answer judged), undesired (1, 0, or NULL when undecided), judge,
               judge_version, reason, feedback (the strategy's reply to this turn, sent with the
               next one; NULL when not undesired), created_at. A turn row is written only once its
               completion and verdict exist, so a resumed run continues after the last row.
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
    # 2: multi-turn dialogue protocols (demur.dialogue).
    """
    CREATE TABLE dialogue_runs (
        run_id TEXT PRIMARY KEY,
        model TEXT NOT NULL,
        strategy TEXT NOT NULL,
        spec_json TEXT NOT NULL,
        demur_version TEXT NOT NULL,
        created_at TEXT NOT NULL
    );
    CREATE TABLE dialogue_turns (
        run_id TEXT NOT NULL REFERENCES dialogue_runs(run_id),
        scenario_id TEXT NOT NULL,
        turn INTEGER NOT NULL,
        cache_key TEXT NOT NULL,
        user_text TEXT NOT NULL,
        response TEXT NOT NULL,
        reasoning TEXT,
        answer TEXT NOT NULL,
        undesired INTEGER,
        judge TEXT NOT NULL,
        judge_version TEXT NOT NULL,
        reason TEXT,
        feedback TEXT,
        created_at TEXT NOT NULL,
        PRIMARY KEY (run_id, scenario_id, turn)
    );
    """,
)

SCHEMA_VERSION = len(MIGRATIONS)
