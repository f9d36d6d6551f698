"""Reading and writing dialogue runs in the results store (tables of schema step 2).

Kept beside the dialogue code rather than in demur.store: it opens its own connection to the
same SQLite file, so the core Store stays unaware of dialogues. Every write commits at once.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from types import TracebackType

from demur.dialogue.records import DialogueRunRecord, TurnRecord
from demur.store.sqlite import Store, match_run_id

_TURN_COLUMNS = (
    "run_id, scenario_id, turn, cache_key, user_text, response, reasoning, answer, undesired, "
    "judge, judge_version, reason, feedback, created_at"
)


class DialogueStore:
    """Dialogue tables of one results store; open it from an open Store (which migrates)."""

    def __init__(self, store: Store):
        self.path = store.path
        self._db = sqlite3.connect(self.path, isolation_level=None, timeout=30)
        self._db.execute("PRAGMA foreign_keys=ON")

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> DialogueStore:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def save_run(self, run: DialogueRunRecord) -> None:
        """Record a run; a run already stored keeps its first record."""
        self._db.execute(
            "INSERT OR IGNORE INTO dialogue_runs VALUES (?, ?, ?, ?, ?, ?)",
            (run.run_id, run.model, run.strategy, run.spec_json, run.demur_version, run.created_at),
        )

    def runs(self) -> list[DialogueRunRecord]:
        rows = self._db.execute(
            "SELECT run_id, model, strategy, spec_json, demur_version, created_at "
            "FROM dialogue_runs ORDER BY created_at, run_id"
        ).fetchall()
        return [
            DialogueRunRecord(
                run_id=r[0],
                model=r[1],
                strategy=r[2],
                spec_json=r[3],
                demur_version=r[4],
                created_at=r[5],
            )
            for r in rows
        ]

    def run(self, run_id: str) -> DialogueRunRecord:
        """A dialogue run by id or unique id prefix."""
        return match_run_id(self.runs(), run_id, "dialogue run", self.path, KeyError)

    def put_turn(self, turn: TurnRecord) -> None:
        """Store one finished turn and commit at once."""
        t = turn
        self._db.execute(
            f"INSERT OR REPLACE INTO dialogue_turns ({_TURN_COLUMNS}) "
            "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            (
                t.run_id,
                t.scenario_id,
                t.turn,
                t.cache_key,
                t.user_text,
                t.response,
                t.reasoning,
                t.answer,
                None if t.undesired is None else int(t.undesired),
                t.judge,
                t.judge_version,
                t.reason,
                t.feedback,
                t.created_at,
            ),
        )

    def turns(self, run_id: str, scenario_id: str | None = None) -> list[TurnRecord]:
        """A run's finished turns, by scenario then turn (one scenario's when given)."""
        query = f"SELECT {_TURN_COLUMNS} FROM dialogue_turns WHERE run_id=?"
        args: Sequence[object] = (run_id,)
        if scenario_id is not None:
            query += " AND scenario_id=?"
            args = (run_id, scenario_id)
        rows = self._db.execute(query + " ORDER BY scenario_id, turn", args).fetchall()
        return [
            TurnRecord(
                run_id=r[0],
                scenario_id=r[1],
                turn=r[2],
                cache_key=r[3],
                user_text=r[4],
                response=r[5],
                reasoning=r[6],
                answer=r[7],
                undesired=None if r[8] is None else bool(r[8]),
                judge=r[9],
                judge_version=r[10],
                reason=r[11],
                feedback=r[12],
                created_at=r[13],
            )
            for r in rows
        ]
