"""The state of a batch in one SQLite file: what was sent, what came back, what is missing.

One row per input item, keyed by its position: the SHA-256 of its canonical JSON (so a rerun with
other inputs is refused instead of mixing results), the input itself (the engines read it back,
so memory stays flat whatever the batch size), a status, the async request id, and the result or
the error as JSON. The file is in WAL mode: the webhook receiver (another thread, or another
process) writes into it while the batch runs.

Statuses::

    pending    not sent yet
    sending    a request is on its way (chat call in flight; async submit without an id yet)
    submitted  async only: Baseten accepted it (request id recorded), the output is awaited
    done       result recorded (never changed again: a second delivery is ignored)
    failed     error recorded
    unknown    async only: the outcome cannot be known without risking a second run (the
               process stopped during a submit, or Baseten could not deliver the output)

Every write is its own committed transaction, so a crash loses at most the call in flight.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from genai_core.errors import ValidationError

__all__ = [
    "DONE",
    "FAILED",
    "PENDING",
    "SENDING",
    "SUBMITTED",
    "UNKNOWN",
    "BatchCounts",
    "BatchStore",
    "StoredItem",
    "input_hash",
]

PENDING, SENDING, SUBMITTED, DONE, FAILED, UNKNOWN = (
    "pending",
    "sending",
    "submitted",
    "done",
    "failed",
    "unknown",
)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS items (
    idx INTEGER PRIMARY KEY,
    input_hash TEXT NOT NULL,
    input TEXT NOT NULL,
    status TEXT NOT NULL,
    request_id TEXT,
    result TEXT,
    error TEXT,
    attempts INTEGER NOT NULL DEFAULT 0,
    updated REAL NOT NULL,
    polled REAL NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS items_request ON items(request_id);
CREATE INDEX IF NOT EXISTS items_status ON items(status, idx);
"""

# Statuses an outcome may still be recorded in.
_OPEN = (PENDING, SENDING, SUBMITTED, UNKNOWN)

# Rows inserted per transaction while loading the inputs: large enough to be fast, small enough
# that the inputs are never all in memory.
_LOAD_CHUNK = 1000


def canonical_json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def input_hash(canonical: str) -> str:
    return hashlib.sha256(canonical.encode()).hexdigest()


@dataclass(frozen=True)
class StoredItem:
    index: int
    status: str
    input: str
    request_id: str | None
    result: str | None
    error: str | None


@dataclass(frozen=True)
class BatchCounts:
    total: int
    pending: int = 0
    sending: int = 0
    submitted: int = 0
    done: int = 0
    failed: int = 0
    unknown: int = 0

    @property
    def finished(self) -> int:
        return self.done + self.failed + self.unknown

    @property
    def in_flight(self) -> int:
        return self.sending + self.submitted


class BatchStore:
    """One batch's SQLite state. One connection per thread: open another store on the same path
    in the receiver's thread or process."""

    def __init__(
        self, path: str | Path, *, timeout: float = 30.0, check_same_thread: bool = True
    ) -> None:
        self.path = str(path)
        # check_same_thread=False only for a caller that serialises every use itself (the
        # webhook receiver's handler threads share one connection under a lock).
        self._db = sqlite3.connect(
            self.path, timeout=timeout, isolation_level=None, check_same_thread=check_same_thread
        )
        self._db.execute("PRAGMA journal_mode=WAL")
        # NORMAL in WAL mode: a commit survives a process crash (not a power loss) and costs no
        # fsync per item.
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(_SCHEMA)

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> BatchStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- meta -----------------------------------------------------------------------------

    def meta(self, key: str) -> str | None:
        row = self._db.execute("SELECT value FROM meta WHERE key=?", (key,)).fetchone()
        return None if row is None else str(row[0])

    def check_meta(self, key: str, value: str, what: str) -> None:
        """Record ``value`` on the first run; refuse a rerun with another one."""
        old = self.meta(key)
        if old is None:
            self._db.execute("INSERT INTO meta VALUES (?, ?)", (key, value))
        elif old != value:
            raise ValidationError(
                f"state file {self.path} was made with other {what}; pass the same {what} to "
                "resume it, or another state path for a new batch"
            )

    # --- loading --------------------------------------------------------------------------

    def load(self, inputs: Iterable[Any]) -> int:
        """Add the items not yet stored; check those already stored are the same inputs.

        ``inputs`` is iterated once; each must be JSON. Returns the number of items.
        """
        known = self._db.execute("SELECT COUNT(*) FROM items").fetchone()[0]
        now = time.time()
        count = 0
        chunk: list[tuple[int, str, str, str, float]] = []
        check: list[tuple[int, str]] = []
        for index, value in enumerate(inputs):
            try:
                text = canonical_json(value)
            except (TypeError, ValueError) as exc:
                raise ValidationError(f"item {index} is not JSON-serialisable: {exc}") from exc
            digest = input_hash(text)
            if index < known:
                check.append((index, digest))
                if len(check) >= _LOAD_CHUNK:
                    self._check_hashes(check)
                    check = []
            else:
                chunk.append((index, digest, text, PENDING, now))
                if len(chunk) >= _LOAD_CHUNK:
                    self._insert(chunk)
                    chunk = []
            count = index + 1
        self._check_hashes(check)
        self._insert(chunk)
        if count < known:
            raise ValidationError(
                f"state file {self.path} holds {known} items but {count} were given; pass the "
                "same inputs to resume it, or another state path for a new batch"
            )
        return count

    def _insert(self, rows: list[tuple[int, str, str, str, float]]) -> None:
        if rows:
            with self._tx():
                self._db.executemany(
                    "INSERT INTO items(idx, input_hash, input, status, updated) "
                    "VALUES (?, ?, ?, ?, ?)",
                    rows,
                )

    def _check_hashes(self, pairs: list[tuple[int, str]]) -> None:
        if not pairs:
            return
        lo, hi = pairs[0][0], pairs[-1][0]
        stored = dict(
            self._db.execute(
                "SELECT idx, input_hash FROM items WHERE idx BETWEEN ? AND ?", (lo, hi)
            ).fetchall()
        )
        for index, digest in pairs:
            if stored.get(index) != digest:
                raise ValidationError(
                    f"state file {self.path} was made for other inputs (item {index} differs); "
                    "pass the same inputs to resume it, or another state path for a new batch"
                )

    class _Tx:
        def __init__(self, db: sqlite3.Connection) -> None:
            self.db = db

        def __enter__(self) -> None:
            self.db.execute("BEGIN IMMEDIATE")

        def __exit__(self, exc_type: object, *rest: object) -> None:
            self.db.execute("ROLLBACK" if exc_type else "COMMIT")

    def _tx(self) -> BatchStore._Tx:
        return BatchStore._Tx(self._db)

    # --- reading --------------------------------------------------------------------------

    def counts(self) -> BatchCounts:
        rows = self._db.execute("SELECT status, COUNT(*) FROM items GROUP BY status").fetchall()
        by = {str(s): int(n) for s, n in rows}
        return BatchCounts(total=sum(by.values()), **by)

    def take(self, status: str, limit: int, *, after: int = -1) -> list[tuple[int, str]]:
        """Up to ``limit`` items (index, input) in ``status``, in input order, past ``after``."""
        rows = self._db.execute(
            "SELECT idx, input FROM items WHERE status=? AND idx>? ORDER BY idx LIMIT ?",
            (status, after, limit),
        ).fetchall()
        return [(int(i), str(t)) for i, t in rows]

    def stale_submitted(self, older_than: float, limit: int) -> list[tuple[int, str]]:
        """Submitted items (index, request id) not polled since ``older_than``, oldest first."""
        rows = self._db.execute(
            "SELECT idx, request_id FROM items WHERE status=? AND polled<? AND updated<? "
            "ORDER BY polled, idx LIMIT ?",
            (SUBMITTED, older_than, older_than, limit),
        ).fetchall()
        return [(int(i), str(r)) for i, r in rows]

    def item(self, index: int) -> StoredItem | None:
        row = self._db.execute(
            "SELECT idx, status, input, request_id, result, error FROM items WHERE idx=?",
            (index,),
        ).fetchone()
        return None if row is None else StoredItem(*row)

    def items(self) -> Iterator[StoredItem]:
        """Every item in input order, read in pages (memory stays flat)."""
        last = -1
        while True:
            rows = self._db.execute(
                "SELECT idx, status, input, request_id, result, error FROM items "
                "WHERE idx>? ORDER BY idx LIMIT ?",
                (last, _LOAD_CHUNK),
            ).fetchall()
            if not rows:
                return
            for row in rows:
                yield StoredItem(*row)
            last = rows[-1][0]

    # --- writing --------------------------------------------------------------------------

    def _set(self, index: int, status: str, *, only_if: tuple[str, ...], **fields: Any) -> bool:
        cols = "".join(f", {k}=?" for k in fields)
        marks = ",".join("?" * len(only_if))
        cur = self._db.execute(
            f"UPDATE items SET status=?, updated=?{cols} WHERE idx=? AND status IN ({marks})",
            (status, time.time(), *fields.values(), index, *only_if),
        )
        return cur.rowcount == 1

    def mark_sending(self, index: int) -> bool:
        """Before a request leaves: committed first, so a crash during the call is visible."""
        return (
            self._db.execute(
                "UPDATE items SET status=?, attempts=attempts+1, updated=? "
                "WHERE idx=? AND status=?",
                (SENDING, time.time(), index, PENDING),
            ).rowcount
            == 1
        )

    def mark_submitted(self, index: int, request_id: str) -> bool:
        return self._set(index, SUBMITTED, only_if=(SENDING, UNKNOWN), request_id=request_id)

    def back_to_pending(self, index: int) -> bool:
        """The request was refused before anything ran (a 429): send it again later."""
        return self._set(index, PENDING, only_if=(SENDING,))

    def mark_done(self, index: int, result: str, request_id: str | None = None) -> bool:
        """Record a result (JSON text); False (nothing changed) when the item is already finished:
        a second delivery of the same output, or a replay, never overwrites the first."""
        fields: dict[str, Any] = {"result": result, "error": None}
        if request_id is not None:
            fields["request_id"] = request_id
        return self._set(index, DONE, only_if=_OPEN, **fields)

    def mark_failed(self, index: int, error: dict[str, Any], request_id: str | None = None) -> bool:
        fields: dict[str, Any] = {"error": json.dumps(error)}
        if request_id is not None:
            fields["request_id"] = request_id
        return self._set(index, FAILED, only_if=_OPEN, **fields)

    def mark_unknown(self, index: int, error: dict[str, Any]) -> bool:
        return self._set(index, UNKNOWN, only_if=(SENDING, SUBMITTED), error=json.dumps(error))

    def mark_polled(self, index: int) -> None:
        self._db.execute("UPDATE items SET polled=? WHERE idx=?", (time.time(), index))

    def index_of_request(self, request_id: str) -> int | None:
        row = self._db.execute("SELECT idx FROM items WHERE request_id=?", (request_id,)).fetchone()
        return None if row is None else int(row[0])

    def reset(
        self, from_status: str, to_status: str, *, error: dict[str, Any] | None = None
    ) -> int:
        """Move every item in ``from_status`` to ``to_status`` (start-of-run reconciliation).

        The item's error becomes ``error``: the reason it is in its new status (an item moved
        to ``unknown`` must say why), or none for an item that is going to be sent again. An
        item moved to ``unknown`` keeps its time: that of its submit, from which its output is
        awaited (see :meth:`awaiting_unknown`).
        """
        text = None if error is None else json.dumps(error)
        args: tuple[Any, ...]
        if to_status == UNKNOWN:
            sql, args = "UPDATE items SET status=?, error=? WHERE status=?", (to_status, text)
        else:
            sql = "UPDATE items SET status=?, error=?, updated=? WHERE status=?"
            args = (to_status, text, time.time())
        return self._db.execute(sql, (*args, from_status)).rowcount

    def awaiting_unknown(self, since: float) -> int:
        """Unknown items changed since ``since`` whose output may still be delivered: all but
        those Baseten reported it could not deliver (``OutputLost``)."""
        row = self._db.execute(
            "SELECT COUNT(*) FROM items WHERE status=? AND updated>=? "
            "AND COALESCE(json_extract(error, '$.type'), '') != 'OutputLost'",
            (UNKNOWN, since),
        ).fetchone()
        return int(row[0])
