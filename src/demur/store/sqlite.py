"""The SQLite store: the hand-over point between generation, judging and reporting."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any, Protocol, TypeVar

from demur.judges.verdict import Verdict
from demur.store.records import Completion, ResultRow, RunItem, RunRecord, utc_now
from demur.store.schema import MIGRATIONS, SCHEMA_VERSION
from demur.suites.model import Prompt

DEFAULT_FILENAME = "demur.sqlite"


class StoreError(RuntimeError):
    """The store file is missing, foreign or newer than this demur."""


class _HasRunId(Protocol):
    @property
    def run_id(self) -> str: ...


RecordT = TypeVar("RecordT", bound=_HasRunId)


def match_run_id(
    records: Sequence[RecordT],
    prefix: str,
    kind: str,
    where: Path,
    error: type[Exception] = StoreError,
) -> RecordT:
    """The one record whose run id starts with `prefix`; else `error` naming the known ids."""
    matches = [r for r in records if r.run_id.startswith(prefix)]
    if len(matches) != 1:
        known = ", ".join(r.run_id[:12] for r in records) or "none"
        what = f"no {kind}" if not matches else f"several {kind}s"
        raise error(f"{what} matching {prefix!r} in {where}; {kind}s: {known}")
    return matches[0]


def store_path(results_dir: str | Path) -> Path:
    """The store file inside a results directory."""
    return Path(results_dir) / DEFAULT_FILENAME


class Store:
    """One SQLite file. Every write commits at once, so a crash loses nothing finished."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(self.path, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.execute("PRAGMA foreign_keys=ON")
        self._migrate()

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    @property
    def schema_version(self) -> int:
        row = self._db.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()
        return int(row[0])

    def _migrate(self) -> None:
        has_meta = self._db.execute(
            "SELECT 1 FROM sqlite_master WHERE type='table' AND name='meta'"
        ).fetchone()
        current = self.schema_version if has_meta else 0
        if current > SCHEMA_VERSION:
            raise StoreError(
                f"{self.path} has schema version {current}, newer than this demur supports "
                f"({SCHEMA_VERSION}): upgrade demur"
            )
        for number in range(current, SCHEMA_VERSION):
            # One script per step, inside one transaction, so a step applies whole or not at all.
            self._db.executescript(
                f"BEGIN IMMEDIATE;\n{MIGRATIONS[number]};\n"
                "INSERT OR REPLACE INTO meta(key, value) "
                f"VALUES ('schema_version', '{number + 1}');\nCOMMIT;"
            )

    def _transaction(self) -> _Transaction:
        return _Transaction(self._db)

    # runs -----------------------------------------------------------------------------------

    def save_run(self, run: RunRecord, items: Sequence[RunItem]) -> None:
        """Record a run and its planned items; a run already stored keeps its first record."""
        with self._transaction():
            self._db.execute(
                "INSERT OR IGNORE INTO runs VALUES (?, ?, ?, ?, ?, ?)",
                (
                    run.run_id,
                    run.model,
                    run.suite,
                    run.spec_json,
                    run.demur_version,
                    run.created_at,
                ),
            )
            self._db.executemany(
                "INSERT OR IGNORE INTO run_items VALUES (?, ?, ?, ?, ?)",
                [
                    (
                        run.run_id,
                        item.index,
                        item.prompt.id,
                        item.prompt.model_dump_json(),
                        item.cache_key,
                    )
                    for item in items
                ],
            )

    def runs(self) -> list[RunRecord]:
        rows = self._db.execute(
            "SELECT run_id, model, suite, spec_json, demur_version, created_at FROM runs "
            "ORDER BY created_at, run_id"
        ).fetchall()
        return [
            RunRecord(
                run_id=r[0],
                model=r[1],
                suite=r[2],
                spec_json=r[3],
                demur_version=r[4],
                created_at=r[5],
            )
            for r in rows
        ]

    def run(self, run_id: str) -> RunRecord:
        """A run by id or unique id prefix."""
        return match_run_id(self.runs(), run_id, "run", self.path)

    def latest_run(self) -> RunRecord:
        runs = self.runs()
        if not runs:
            raise StoreError(f"no runs in {self.path}: run `demur run` first")
        return runs[-1]

    def run_items(self, run_id: str) -> list[RunItem]:
        rows = self._db.execute(
            "SELECT item_index, prompt_json, cache_key FROM run_items WHERE run_id=? "
            "ORDER BY item_index",
            (run_id,),
        ).fetchall()
        return [
            RunItem(index=r[0], prompt=Prompt.model_validate_json(r[1]), cache_key=r[2])
            for r in rows
        ]

    # completions ----------------------------------------------------------------------------

    def put_completion(self, completion: Completion) -> None:
        """Store (or replace an errored) completion and commit at once."""
        c = completion
        logprobs = (
            json.dumps([lp.model_dump() for lp in c.logprobs]) if c.logprobs is not None else None
        )
        with self._transaction():
            self._db.execute(
                "INSERT OR REPLACE INTO completions VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                (
                    c.cache_key,
                    c.model,
                    c.prompt_id,
                    json.dumps([m.model_dump() for m in c.messages], ensure_ascii=False),
                    c.text,
                    c.finish_reason,
                    c.prompt_tokens,
                    c.completion_tokens,
                    c.latency_s,
                    c.error,
                    c.api_refusal,
                    c.reasoning,
                    logprobs,
                    c.attempts,
                    c.created_at,
                ),
            )

    def finished_keys(self, keys: Iterable[str]) -> set[str]:
        """Keys that already have a completion without error (errors are retried on re-run)."""
        wanted = list(dict.fromkeys(keys))
        done: set[str] = set()
        for start in range(0, len(wanted), 500):
            chunk = wanted[start : start + 500]
            marks = ",".join("?" * len(chunk))
            rows = self._db.execute(
                f"SELECT cache_key FROM completions WHERE error IS NULL AND cache_key IN ({marks})",
                chunk,
            ).fetchall()
            done.update(r[0] for r in rows)
        return done

    def completion(self, cache_key: str) -> Completion | None:
        row = self._db.execute(
            f"SELECT {_COMPLETION_COLUMNS} FROM completions WHERE cache_key=?", (cache_key,)
        ).fetchone()
        return _completion_from_row(row) if row else None

    def completion_count(self) -> int:
        return int(self._db.execute("SELECT COUNT(*) FROM completions").fetchone()[0])

    # verdicts -------------------------------------------------------------------------------

    def put_verdicts(self, verdicts: Iterable[tuple[str, Verdict]]) -> None:
        """Store verdicts keyed by completion cache key, replacing the same judge version's."""
        now = utc_now()
        with self._transaction():
            self._db.executemany(
                "INSERT OR REPLACE INTO verdicts VALUES (?,?,?,?,?,?,?,?,?)",
                [
                    (
                        key,
                        v.judge,
                        v.judge_version,
                        v.label.value,
                        v.form.value if v.form else None,
                        v.boundary_score,
                        v.probability,
                        v.model_dump_json(),
                        now,
                    )
                    for key, v in verdicts
                ],
            )

    def judged_keys(self, judge: str, judge_version: str) -> set[str]:
        rows = self._db.execute(
            "SELECT cache_key FROM verdicts WHERE judge=? AND judge_version=?",
            (judge, judge_version),
        ).fetchall()
        return {r[0] for r in rows}

    def judges(self, run_id: str) -> list[tuple[str, str]]:
        """(judge, version) pairs with verdicts on this run, newest first."""
        rows = self._db.execute(
            "SELECT v.judge, v.judge_version, MAX(v.created_at) AS t FROM verdicts v "
            "JOIN run_items i ON i.cache_key = v.cache_key WHERE i.run_id=? "
            "GROUP BY v.judge, v.judge_version ORDER BY t DESC",
            (run_id,),
        ).fetchall()
        return [(r[0], r[1]) for r in rows]

    # readers --------------------------------------------------------------------------------

    def results(
        self, run_id: str, judge: str | None = None, judge_version: str | None = None
    ) -> list[ResultRow]:
        """Every item of a run with its completion and the named judge's verdict (newest
        version when none is given; the newest judge when no judge is given)."""
        if judge is None or judge_version is None:
            chosen = [j for j in self.judges(run_id) if judge is None or j[0] == judge]
            if chosen:
                judge, judge_version = chosen[0]
        verdicts: dict[str, Verdict] = {}
        if judge is not None and judge_version is not None:
            for key, blob in self._db.execute(
                "SELECT v.cache_key, v.verdict_json FROM verdicts v JOIN run_items i "
                "ON i.cache_key = v.cache_key WHERE i.run_id=? AND v.judge=? AND v.judge_version=?",
                (run_id, judge, judge_version),
            ):
                verdicts[key] = Verdict.model_validate_json(blob)
        completions = {
            row[0]: _completion_from_row(row)
            for row in self._db.execute(
                f"SELECT {_COMPLETION_COLUMNS} FROM completions WHERE cache_key IN "
                "(SELECT cache_key FROM run_items WHERE run_id=?)",
                (run_id,),
            )
        }
        return [
            ResultRow(
                run_id=run_id,
                index=item.index,
                prompt=item.prompt,
                completion=completions.get(item.cache_key),
                verdict=verdicts.get(item.cache_key),
            )
            for item in self.run_items(run_id)
        ]


_COMPLETION_FIELDS = (
    "cache_key", "model", "prompt_id", "messages_json", "text", "finish_reason", "prompt_tokens",
    "completion_tokens", "latency_s", "error", "api_refusal", "reasoning", "logprobs_json",
    "attempts", "created_at",
)  # fmt: skip
_COMPLETION_COLUMNS = ", ".join(_COMPLETION_FIELDS)


def _completion_from_row(row: Sequence[Any]) -> Completion:
    fields = dict(zip(_COMPLETION_FIELDS, row, strict=True))
    fields["messages"] = json.loads(fields.pop("messages_json"))
    logprobs = fields.pop("logprobs_json")
    fields["logprobs"] = json.loads(logprobs) if logprobs is not None else None
    return Completion.model_validate(fields)


class _Transaction:
    def __init__(self, db: sqlite3.Connection):
        self._db = db

    def __enter__(self) -> None:
        self._db.execute("BEGIN IMMEDIATE")

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._db.execute("ROLLBACK" if exc_type else "COMMIT")
