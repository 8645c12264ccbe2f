"""`waterbill disputes import-photos`: the former photo files into the database, on both engines."""

from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import Engine, select, update

from tests.support.factories.billing import add_subscriber
from tests.support.factories.citizens import HOLDER
from tests.support.factories.photos import jpeg_with_exif, png_with_text
from waterbill.cli import main
from waterbill.db.database import Database
from waterbill.disputes.photo_import import import_file_photos, photo_path
from waterbill.disputes.photos import clean_photo
from waterbill.disputes.service import FilingRules, file_dispute, get_my_photo
from waterbill.disputes.tables import dispute_photos, dispute_requests

CODE = "0104410203"
NOW = datetime(2026, 11, 26, 10, 0, tzinfo=UTC)


def _filed_with_file(
    database: Database, engine: Engine, upload_dir: Path, *, period: str, photo: bytes
) -> tuple[str, bytes, Path]:
    """A request as the file store left it: the cleaned photo in a file the row names."""
    dispute = file_dispute(
        database=database,
        citizen=HOLDER,
        code=CODE,
        period=period,
        service="water",
        reason="meter_reading_wrong",
        text=None,
        photo=None,
        rules=FilingRules(daily_limit=100),
        now=NOW,
    )
    cleaned = clean_photo(photo)
    name = f"{secrets.token_hex(16)}.{cleaned.extension}"
    upload_dir.mkdir(exist_ok=True)
    (upload_dir / name).write_bytes(cleaned.data)
    with engine.begin() as db:
        db.execute(
            update(dispute_requests)
            .where(dispute_requests.c.reference == dispute.reference)
            .values(photo=name)
        )
    return dispute.reference, cleaned.data, upload_dir / name


@pytest.fixture
def account(engine: Engine) -> int:
    with engine.begin() as db:
        return add_subscriber(db, code=CODE, holder_fin=HOLDER.fin)


def test_each_file_is_copied_byte_for_byte_and_served_from_the_database(
    database: Database, engine: Engine, tmp_path: Path, account: int
) -> None:
    upload_dir = tmp_path / "uploads"
    jpeg_reference, jpeg, _ = _filed_with_file(
        database, engine, upload_dir, period="2026-09", photo=jpeg_with_exif()
    )
    png_reference, png, _ = _filed_with_file(
        database, engine, upload_dir, period="2026-10", photo=png_with_text()
    )

    result = import_file_photos(database=database, upload_dir=upload_dir)

    assert (result.imported, result.missing, result.unreadable) == (2, (), ())
    with database.read() as db:
        served_jpeg = get_my_photo(db=db, citizen=HOLDER, reference=jpeg_reference)
        served_png = get_my_photo(db=db, citizen=HOLDER, reference=png_reference)
    assert (served_jpeg.data, served_jpeg.media_type) == (jpeg, "image/jpeg")
    assert (served_png.data, served_png.media_type) == (png, "image/png")
    with engine.connect() as db:
        rows = db.execute(select(dispute_photos).order_by(dispute_photos.c.request_id)).all()
    assert [row.sha256 for row in rows] == [hashlib.sha256(jpeg).hexdigest(), served_png.sha256]
    assert [row.created_at for row in rows] == [NOW, NOW]  # when the photo was received
    # Run again, nothing is copied twice.
    again = import_file_photos(database=database, upload_dir=upload_dir)
    assert (again.imported, again.missing, again.unreadable) == (0, (), ())
    with engine.connect() as db:
        assert len(db.execute(select(dispute_photos.c.request_id)).all()) == 2


def test_a_missing_or_broken_file_is_reported_and_picked_up_by_a_later_run(
    database: Database, engine: Engine, tmp_path: Path, account: int, cli: CliRunner
) -> None:
    upload_dir = tmp_path / "uploads"
    fine, _, _ = _filed_with_file(
        database, engine, upload_dir, period="2026-08", photo=jpeg_with_exif()
    )
    lost, lost_data, lost_file = _filed_with_file(
        database, engine, upload_dir, period="2026-09", photo=jpeg_with_exif()
    )
    broken, _, broken_file = _filed_with_file(
        database, engine, upload_dir, period="2026-10", photo=png_with_text()
    )
    kept_aside = tmp_path / lost_file.name
    lost_file.rename(kept_aside)
    broken_file.write_bytes(broken_file.read_bytes()[:200])

    first = cli.invoke(main, ["disputes", "import-photos", "--from", str(upload_dir)])

    assert first.exit_code == 1
    assert first.stdout == "photos imported: 1\n"
    assert first.stderr.splitlines() == [
        f"{lost}: no such file under {upload_dir}",
        f"{broken}: the file is not a readable JPEG or PNG",
    ]
    with database.read() as db:
        assert get_my_photo(db=db, citizen=HOLDER, reference=fine).media_type == "image/jpeg"

    # The lost file turns up; the broken one is dealt with by hand (here: its name removed).
    kept_aside.rename(lost_file)
    with engine.begin() as db:
        db.execute(
            update(dispute_requests)
            .where(dispute_requests.c.reference == broken)
            .values(photo=None)
        )
    second = cli.invoke(main, ["disputes", "import-photos", "--from", str(upload_dir)])
    assert second.exit_code == 0, second.output
    assert second.stdout == "photos imported: 1\n"
    with database.read() as db:
        assert get_my_photo(db=db, citizen=HOLDER, reference=lost).data == lost_data


@pytest.mark.parametrize(
    "name", ["../../etc/passwd", "/etc/passwd", "..", "a" * 32 + ".exe", "A" * 32 + ".jpg", ""]
)
def test_a_name_the_file_store_did_not_hand_out_finds_no_file(tmp_path: Path, name: str) -> None:
    assert photo_path(name, upload_dir=tmp_path) is None
