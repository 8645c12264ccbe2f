"""Several hash chains side by side (issue 9), on the real SQLite and PostgreSQL.

Each chain verifies on its own; a break is named by chain, position and row id; pruning leaves an
anchor per chain; and a database upgraded with rows already in it keeps verifying.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, func, select, text

from waterbill import clock
from waterbill.audit.chain import GENESIS_HASH, EventRow, row_hash
from waterbill.audit.repository import iter_events
from waterbill.audit.service import prune, record_event, verify_chain
from waterbill.audit.tables import audit_anchors, audit_events
from waterbill.audit.tags import EventTag
from waterbill.db.engine import make_engine
from waterbill.db.migrate import upgrade

NOW = clock.now()


def append(engine: Engine, chain: int | None, count: int = 1, *, at: datetime = NOW) -> None:
    with engine.begin() as db:
        for index in range(count):
            record_event(
                db=db,
                tag=EventTag.STATEMENT_VIEW,
                actor=f"c_{index:032x}",
                channel="api",
                code=f"01044102{index:02d}",
                result="full",
                reason="holder",
                now=at + timedelta(seconds=index),
                chain=chain,
            )


def verify(engine: Engine) -> Any:
    with engine.connect() as db:
        return verify_chain(db=db)


def tamper(engine: Engine, statement: str) -> None:
    with engine.begin() as db:
        db.execute(text(statement))


def row_id(engine: Engine, chain: int, position: int) -> int:
    with engine.connect() as db:
        found = db.scalar(
            select(audit_events.c.id).where(
                audit_events.c.chain == chain, audit_events.c.position == position
            )
        )
    assert found is not None
    return int(found)


@pytest.fixture
def four_chains(engine: Engine) -> Engine:
    for chain in range(4):
        append(engine, chain, 5)
    return engine


def test_concurrent_appenders_on_different_chains_all_verify(engine: Engine) -> None:
    errors: list[BaseException] = []

    def worker(chain: int | None) -> None:
        try:
            for _ in range(10):
                append(engine, chain)
        except BaseException as error:  # the assertion below reports it
            errors.append(error)

    # Four pinned to their own chain, two more left to the round-robin picker.
    threads = [threading.Thread(target=worker, args=(chain,)) for chain in (0, 1, 2, 3, None, None)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    report = verify(engine)
    assert report.intact, report.describe()
    assert report.rows_checked == 60
    for chain in range(4):
        assert report.of(chain).rows_checked >= 10
    with engine.connect() as db:
        per_chain = dict(
            db.execute(
                select(audit_events.c.chain, func.max(audit_events.c.position)).group_by(
                    audit_events.c.chain
                )
            ).all()
        )
        assert sum(per_chain.values()) == 60, "every chain's positions are gapless from 1"
        assert db.scalar(select(func.count(audit_events.c.id.distinct()))) == 60


def test_the_picker_spreads_transactions_over_the_configured_chains(engine: Engine) -> None:
    for _ in range(32):
        append(engine, None)
    with engine.connect() as db:
        chains = set(db.scalars(select(audit_events.c.chain).distinct()))
    assert chains == set(range(16))
    assert verify(engine).intact


def test_an_edit_in_one_chain_is_named_with_its_chain_position_and_id(four_chains: Engine) -> None:
    tamper(
        four_chains, "UPDATE audit_events SET result = 'masked' WHERE chain = 2 AND position = 3"
    )
    report = verify(four_chains)
    assert (report.chain, report.problem, report.bad_seq) == (2, "changed", 3)
    assert report.bad_id == row_id(four_chains, 2, 3)
    assert report.describe().startswith(f"chain 2 broken at row 3 (id {report.bad_id}): changed")
    assert [chain.intact for chain in report.chains] == [True, True, False, True]


def test_a_deletion_in_one_chain_is_named_with_its_chain(four_chains: Engine) -> None:
    tamper(four_chains, "DELETE FROM audit_events WHERE chain = 1 AND position = 2")
    report = verify(four_chains)
    assert (report.chain, report.problem, report.bad_seq) == (1, "deleted", 2)


def test_a_reordering_within_one_chain_is_named_with_its_chain(four_chains: Engine) -> None:
    for statement in (
        "UPDATE audit_events SET position = -2 WHERE chain = 3 AND position = 2",
        "UPDATE audit_events SET position = 2 WHERE chain = 3 AND position = 3",
        "UPDATE audit_events SET position = 3 WHERE chain = 3 AND position = -2",
    ):
        tamper(four_chains, statement)
    report = verify(four_chains)
    assert (report.chain, report.problem, report.bad_seq) == (3, "reordered", 2)


def test_a_row_forged_after_one_chains_head_is_named_as_inserted(four_chains: Engine) -> None:
    tamper(
        four_chains,
        "INSERT INTO audit_events "
        "(id, chain, position, occurred_at, tag, channel, details, prev_hash, row_hash) "
        "SELECT id + 1000, chain, 6, occurred_at, tag, channel, details, row_hash, row_hash "
        "FROM audit_events WHERE chain = 1 AND position = 5",
    )
    report = verify(four_chains)
    assert (report.chain, report.problem, report.bad_seq) == (1, "inserted", 6)
    assert report.bad_id == row_id(four_chains, 1, 6)


def test_a_row_moved_to_another_chain_breaks_both(four_chains: Engine) -> None:
    tamper(four_chains, "DELETE FROM audit_events WHERE chain = 2 AND position = 5")
    tamper(four_chains, "UPDATE audit_events SET chain = 2 WHERE chain = 1 AND position = 5")
    report = verify(four_chains)
    assert not report.of(1).intact
    assert not report.of(2).intact
    assert (report.of(2).problem, report.of(2).bad_seq) == ("changed", 5)


def test_pruning_keeps_every_chain_verifiable(engine: Engine) -> None:
    for chain in range(3):
        append(engine, chain, 4 + chain, at=NOW - timedelta(days=400))
        append(engine, chain, 2, at=NOW - timedelta(days=1))
    with engine.begin() as db:
        result = prune(db=db, older_than=NOW - timedelta(days=30))
    assert result.rows_pruned == 4 + 5 + 6
    assert sorted((anchor.chain, anchor.seq) for anchor in result.anchors) == [
        (0, 4),
        (1, 5),
        (2, 6),
    ]
    report = verify(engine)
    assert report.intact, report.describe()
    # Chain 0 also holds the prune's own event.
    assert [(r.chain, r.first_seq, r.last_seq) for r in report.chains] == [
        (0, 5, 7),
        (1, 6, 7),
        (2, 7, 8),
    ]
    with engine.connect() as db:
        assert db.scalar(select(func.count()).select_from(audit_anchors)) == 3
    tamper(engine, "DELETE FROM audit_events WHERE chain = 1 AND position = 6")
    broken = verify(engine)
    assert (broken.chain, broken.problem, broken.bad_seq) == (1, "deleted", 6)


def test_deleting_one_chains_anchor_is_caught_in_that_chain(engine: Engine) -> None:
    for chain in range(2):
        append(engine, chain, 3, at=NOW - timedelta(days=400))
        append(engine, chain, 1)
    with engine.begin() as db:
        prune(db=db, older_than=NOW - timedelta(days=30))
    tamper(engine, "DELETE FROM audit_anchors WHERE chain = 1")
    report = verify(engine)
    assert (report.chain, report.problem, report.bad_seq) == (1, "deleted", 1)
    assert report.of(0).intact


def _old_row(seq: int, prev: str) -> EventRow:
    row = EventRow(
        seq=seq,
        occurred_at=NOW - timedelta(hours=seq),
        tag="statement:view",
        actor=None,
        subscriber_code="0104410200",
        channel="web",
        auth_method=None,
        result="full",
        reason="holder",
        details="{}",
        prev_hash=prev,
    )
    return replace(row, row_hash=row_hash(row))


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def fresh_url(
    request: pytest.FixtureRequest, tmp_path: Path, make_postgres_database: Any
) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'upgrade.db'}"
    else:
        yield make_postgres_database()


def test_upgrading_a_live_log_keeps_its_rows_verifying_as_chain_0(fresh_url: str) -> None:
    upgrade(fresh_url, "0007")
    engine = make_engine(fresh_url)
    try:
        rows, prev = [], GENESIS_HASH
        for seq in range(1, 5):
            rows.append(_old_row(seq, prev))
            prev = rows[-1].row_hash
        with engine.begin() as db:
            for row in rows:
                db.execute(
                    text(
                        "INSERT INTO audit_events (id, occurred_at, tag, subscriber_code, channel,"
                        " result, reason, details, prev_hash, row_hash) VALUES (:id, :at, :tag,"
                        " :code, :channel, :result, :reason, :details, :prev, :hash)"
                    ),
                    {
                        "id": row.seq,
                        "at": row.occurred_at,
                        "tag": row.tag,
                        "code": row.subscriber_code,
                        "channel": row.channel,
                        "result": row.result,
                        "reason": row.reason,
                        "details": row.details,
                        "prev": row.prev_hash,
                        "hash": row.row_hash,
                    },
                )
            db.execute(
                text("INSERT INTO audit_chain_head (id, last_seq, last_hash) VALUES (1, 4, :h)"),
                {"h": prev},
            )
        upgrade(fresh_url)
        report = verify(engine)
        assert report.intact, report.describe()
        assert (report.of(0).first_seq, report.of(0).last_seq) == (1, 4)
        append(engine, 0)
        append(engine, 5)
        report = verify(engine)
        assert report.intact, report.describe()
        assert (report.of(0).last_seq, report.of(5).last_seq) == (5, 1)
        with engine.connect() as db:
            ids = list(db.scalars(select(audit_events.c.id).order_by(audit_events.c.id)))
        assert ids[:4] == [1, 2, 3, 4]
        assert len(set(ids)) == 6
        assert min(ids[4:]) > 4
    finally:
        engine.dispose()


def test_appends_in_one_transaction_stay_on_one_chain(engine: Engine) -> None:
    with engine.begin() as db:
        ids = [
            record_event(db=db, tag=EventTag.AUTH_LOGOUT, actor=None, channel="web")
            for _ in range(3)
        ]
    with engine.connect() as db:
        chains = set(
            db.scalars(select(audit_events.c.chain).where(audit_events.c.id.in_(ids)).distinct())
        )
    assert len(chains) == 1


def test_rows_sealed_by_the_database_hash_as_the_python_canonical_form(engine: Engine) -> None:
    # On PostgreSQL the row is sealed in SQL (one statement); on SQLite in Python. Either way the
    # stored hash is the canonical one, non-ASCII text included, and the head keeps both hashes.
    with engine.begin() as db:
        for index, reason in enumerate(("şəxsi", "İcazə", "ğöüçı")):
            record_event(
                db=db,
                tag=EventTag.STATEMENT_VIEW,
                actor=None if index == 1 else f"c_{index:032x}",
                channel="web",
                code="0104410203",
                result="masked",
                reason=reason,
                details={"role": "other", "qeyd": "Bakı"},
                now=NOW + timedelta(seconds=index),
                chain=5,
            )
    with engine.connect() as db:
        rows = list(iter_events(db, chain=5, after_seq=0))
        head = db.execute(
            text("SELECT last_hash, prev_hash FROM audit_chain_head WHERE id = 5")
        ).one()
    previous = GENESIS_HASH
    for position, row in enumerate(rows, start=1):
        assert row.seq == position
        assert row.prev_hash == previous
        assert row.row_hash == row_hash(row)
        previous = row.row_hash
    assert tuple(head) == (rows[-1].row_hash, rows[-2].row_hash)
    assert verify(engine).intact
