"""The access log on the real SQLite and PostgreSQL: appends chain, and tampering is caught.

Most tests here exercise one chain (chain 0) in depth; tests/integration/audit/test_audit_chains.py
covers several chains side by side.
"""

from __future__ import annotations

import re
import threading
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, event, func, select, text

from waterbill import clock
from waterbill.audit.service import ChainBroken, prune, record_event, verify_chain
from waterbill.audit.tables import audit_anchors, audit_events
from waterbill.audit.tags import EventTag

NOW = clock.now()


def append_views(engine: Engine, count: int, *, at: datetime = NOW) -> None:
    with engine.begin() as db:
        for index in range(count):
            record_event(
                db=db,
                tag=EventTag.STATEMENT_VIEW,
                actor=f"c_{index:032x}",
                channel="web" if index % 2 else "api",
                code=f"01044102{index:02d}",
                auth_method="asan_imza",
                result="full",
                reason="holder",
                details={"role": "holder"},
                now=at + timedelta(seconds=index),
                chain=0,
            )


def verify(engine: Engine) -> Any:
    with engine.connect() as db:
        return verify_chain(db=db)


def tamper(engine: Engine, *statements: str) -> None:
    with engine.begin() as db:
        for statement in statements:
            db.execute(text(statement))


def test_appended_events_form_an_intact_chain_with_gapless_numbers(engine: Engine) -> None:
    append_views(engine, 6)
    report = verify(engine)
    assert report.intact, report.describe()
    assert (report.rows_checked, report.of(0).first_seq, report.of(0).last_seq) == (6, 1, 6)
    with engine.connect() as db:
        positions = select(audit_events.c.position).where(audit_events.c.chain == 0)
        assert list(db.scalars(positions.order_by(audit_events.c.position))) == [
            1, 2, 3, 4, 5, 6
        ]  # fmt: skip


def test_an_empty_log_verifies(engine: Engine) -> None:
    assert verify(engine).intact


def test_an_update_made_directly_in_sql_is_named(engine: Engine) -> None:
    append_views(engine, 6)
    tamper(engine, "UPDATE audit_events SET result = 'masked' WHERE position = 4")
    report = verify(engine)
    assert (report.problem, report.bad_seq) == ("changed", 4)


def test_an_update_of_the_timestamp_is_named(engine: Engine) -> None:
    append_views(engine, 3)
    with engine.begin() as db:
        db.execute(
            audit_events.update()
            .where(audit_events.c.position == 2)
            .values(occurred_at=NOW - timedelta(days=1))
        )
    assert (verify(engine).problem, verify(engine).bad_seq) == ("changed", 2)


def test_a_delete_made_directly_in_sql_is_named(engine: Engine) -> None:
    append_views(engine, 6)
    tamper(engine, "DELETE FROM audit_events WHERE position = 3")
    report = verify(engine)
    assert (report.problem, report.bad_seq) == ("deleted", 3)


def test_deleting_the_newest_rows_is_caught_by_the_chain_head(engine: Engine) -> None:
    append_views(engine, 6)
    tamper(engine, "DELETE FROM audit_events WHERE position >= 5")
    report = verify(engine)
    assert (report.problem, report.bad_seq) == ("truncated", 5)


def test_a_reordering_made_directly_in_sql_is_named(engine: Engine) -> None:
    append_views(engine, 6)
    tamper(
        engine,
        "UPDATE audit_events SET position = -3 WHERE position = 3",
        "UPDATE audit_events SET position = 3 WHERE position = 4",
        "UPDATE audit_events SET position = 4 WHERE position = -3",
    )
    report = verify(engine)
    assert (report.problem, report.bad_seq) == ("reordered", 3)
    assert report.describe().startswith("chain 0 broken at row 3 (id ")
    assert ": reordered" in report.describe()


def test_a_row_forged_after_the_head_is_named_as_inserted(engine: Engine) -> None:
    append_views(engine, 3)
    tamper(
        engine,
        "INSERT INTO audit_events "
        "(id, chain, position, occurred_at, tag, channel, details, prev_hash, row_hash) "
        "SELECT id + 1000, chain, 4, occurred_at, tag, channel, details, row_hash, row_hash "
        "FROM audit_events WHERE position = 3",
    )
    report = verify(engine)
    assert (report.problem, report.bad_seq) == ("inserted", 4)


def test_verifying_while_the_application_appends_reports_no_false_alarm(engine: Engine) -> None:
    append_views(engine, 5)
    stop = threading.Event()

    def keep_appending() -> None:
        while not stop.is_set():
            append_views(engine, 1)

    writer = threading.Thread(target=keep_appending)
    writer.start()
    try:
        reports = [verify(engine) for _ in range(15)]
    finally:
        stop.set()
        writer.join()
    assert all(report.intact for report in reports), [r.describe() for r in reports]
    assert verify(engine).intact


def test_an_append_is_one_statement_on_postgresql_three_on_sqlite_and_no_scan(
    engine: Engine,
) -> None:
    append_views(engine, 2)
    statements: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        append_views(engine, 1)
    finally:
        event.remove(engine, "before_cursor_execute", count)
    data = [s for s in statements if not s.lstrip().upper().startswith(("BEGIN", "COMMIT"))]
    if engine.dialect.name == "postgresql":
        # One round trip: the head's UPDATE feeds the INSERT, which reads nothing but its result.
        assert len(data) == 1
        froms = re.findall(r"\bFROM\s+(\w+)", data[0], flags=re.IGNORECASE)
        assert froms == ["head"]
    else:
        assert len(data) == 3
        assert "SELECT" not in " ".join(data).upper().replace("RETURNING", "")


def test_concurrent_appends_from_many_connections_keep_one_chain(engine: Engine) -> None:
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            for _ in range(10):
                append_views(engine, 1)
        except BaseException as error:  # the assertion below reports it
            errors.append(error)

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    report = verify(engine)
    assert report.intact, report.describe()
    assert report.rows_checked == 40


@pytest.fixture
def old_and_recent(engine: Engine) -> Engine:
    append_views(engine, 5, at=NOW - timedelta(days=400))
    append_views(engine, 3, at=NOW - timedelta(days=1))
    return engine


def test_pruning_keeps_an_anchor_and_the_rest_still_verifies(old_and_recent: Engine) -> None:
    engine = old_and_recent
    with engine.begin() as db:
        result = prune(db=db, older_than=NOW - timedelta(days=30))
    assert result.rows_pruned == 5
    assert result.anchor is not None
    assert result.anchor.seq == 5
    report = verify(engine)
    assert report.intact, report.describe()
    # The three recent views and the prune's own event.
    assert (report.of(0).first_seq, report.of(0).last_seq) == (6, 9)
    with engine.connect() as db:
        assert db.scalar(select(func.min(audit_events.c.position))) == 6
        assert db.scalar(select(audit_anchors.c.rows_pruned)) == 5


def test_after_pruning_tampering_is_still_caught(old_and_recent: Engine) -> None:
    engine = old_and_recent
    with engine.begin() as db:
        prune(db=db, older_than=NOW - timedelta(days=30))
    tamper(engine, "DELETE FROM audit_events WHERE position = 6")
    report = verify(engine)
    assert (report.problem, report.bad_seq) == ("deleted", 6)


def test_deleting_the_anchor_is_caught(old_and_recent: Engine) -> None:
    engine = old_and_recent
    with engine.begin() as db:
        prune(db=db, older_than=NOW - timedelta(days=30))
    tamper(engine, "DELETE FROM audit_anchors")
    report = verify(engine)
    assert (report.problem, report.bad_seq) == ("deleted", 1)


def test_pruning_everything_leaves_a_verifiable_anchor(engine: Engine) -> None:
    append_views(engine, 4, at=NOW - timedelta(days=400))
    with engine.begin() as db:
        prune(db=db, older_than=NOW)
    with engine.begin() as db:
        prune(db=db, older_than=NOW + timedelta(seconds=1))
    report = verify(engine)
    assert report.intact, report.describe()


def test_pruning_refuses_to_remove_a_tampered_prefix(old_and_recent: Engine) -> None:
    engine = old_and_recent
    tamper(engine, "UPDATE audit_events SET reason = 'admin' WHERE position = 2")
    with pytest.raises(ChainBroken, match="row 2"), engine.begin() as db:
        prune(db=db, older_than=NOW - timedelta(days=30))
    with engine.connect() as db:
        assert db.scalar(select(func.count()).select_from(audit_events)) == 8
