"""Server-side sessions in the real database: hashed ids, idle and absolute timeouts."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import Engine, select, update

from waterbill import clock
from waterbill.auth.identity import Citizen
from waterbill.auth.sessions import csrf_matches, load_session, start_session
from waterbill.auth.tables import web_sessions
from waterbill.config import Settings

CITIZEN = Citizen(
    fin="5ZK3LRT",
    surname="Hüseynov",
    name="Qorxmaz",
    patronymic="Əli oğlu",
    auth_method="asan_imza",
    pseudonym="c_0123",
)


def _settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"session_idle_minutes": 30, "session_absolute_hours": 12})


def test_a_session_is_found_by_its_id_and_stored_only_as_a_hash(
    engine: Engine, settings: Settings
) -> None:
    with engine.begin() as db:
        raw_id, session = start_session(db=db, settings=settings, citizen=CITIZEN)
    with engine.begin() as db:
        loaded = load_session(db=db, settings=settings, raw_id=raw_id)
        stored = list(db.scalars(select(web_sessions.c.id_hash)))
    assert loaded is not None
    assert loaded.citizen == CITIZEN
    assert stored == [session.id_hash]
    assert raw_id not in stored
    assert len(raw_id) >= 43  # 256 random bits, base64url
    assert csrf_matches(loaded, session.csrf_token)
    assert not csrf_matches(loaded, "forged")


def test_a_session_idle_too_long_is_ended(engine: Engine, settings: Settings) -> None:
    settings = _settings(settings)
    with engine.begin() as db:
        raw_id, _ = start_session(db=db, settings=settings, citizen=CITIZEN)
        db.execute(update(web_sessions).values(last_seen_at=clock.now() - timedelta(minutes=31)))
    with engine.begin() as db:
        assert load_session(db=db, settings=settings, raw_id=raw_id) is None
        assert db.execute(select(web_sessions)).first() is None


def test_a_busy_session_still_ends_at_its_absolute_timeout(
    engine: Engine, settings: Settings
) -> None:
    settings = _settings(settings)
    with engine.begin() as db:
        raw_id, _ = start_session(db=db, settings=settings, citizen=CITIZEN)
        db.execute(
            update(web_sessions).values(created_at=clock.now() - timedelta(hours=12, seconds=1))
        )
    with engine.begin() as db:
        assert load_session(db=db, settings=settings, raw_id=raw_id) is None


def test_an_unknown_session_id_finds_nothing(engine: Engine, settings: Settings) -> None:
    with engine.begin() as db:
        start_session(db=db, settings=settings, citizen=CITIZEN)
        assert load_session(db=db, settings=settings, raw_id="guessed") is None
