"""``waterbill disputes import-photos``: photos of the former file store into the database, once.

Until issue 10 the cleaned photos were files under ``WATERBILL_UPLOAD_DIR``, named in
``dispute_requests.photo``. The import runs after every app instance serves the release that
keeps photos in ``dispute_photos``, from a host that still mounts the old directory; it is not a
migration because migrations run from the release host, which need not mount it, and because the
previous release may still write files while the new one rolls out (docs/deploy.md §13). It can be
run again: a request whose photo is in the database is skipped. This module and the ``photo``
column go together in a later release.
"""

from __future__ import annotations

import io
import logging
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, UnidentifiedImageError
from sqlalchemy.exc import IntegrityError

from waterbill.db.database import Database
from waterbill.disputes import repository
from waterbill.disputes.domain import Photo
from waterbill.disputes.photos import FORMATS

# Names the file store handed out: 32 hex digits and the extension.
_NAME_LENGTH = 32

# Counts and reference numbers only: the photos and whose they are stay out of the log.
log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class PhotoImport:
    imported: int
    # Reference numbers of the requests whose photo could not be imported; they keep their file
    # name, so a later run (with the right directory) picks them up.
    missing: tuple[str, ...]
    unreadable: tuple[str, ...]


def photo_path(name: str, *, upload_dir: Path) -> Path | None:
    """The file of a name the file store handed out; anything else (a path) finds nothing."""
    stem, _, extension = name.partition(".")
    if (
        len(stem) != _NAME_LENGTH
        or not all(char in "0123456789abcdef" for char in stem)
        or extension not in {"jpg", "png"}
    ):
        return None
    path = upload_dir / name
    return path if path.is_file() else None


def read_stored_file(path: Path) -> Photo | None:
    """The photo the file store wrote, as it is once it decodes; None when it does not.

    It was cleaned when it was filed and is not cleaned again: each JPEG encoding loses quality.
    """
    data = path.read_bytes()
    try:
        with Image.open(io.BytesIO(data), formats=tuple(FORMATS)) as opened:
            kind = opened.format or ""
            opened.load()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        return None
    return Photo(data=data, media_type=FORMATS[kind])


def import_file_photos(*, database: Database, upload_dir: Path) -> PhotoImport:
    """Copies each request's photo file into ``dispute_photos``, one transaction per photo."""
    with database.read(primary=True) as db:
        pending = repository.file_photos_to_import(db)
    imported = 0
    missing: list[str] = []
    unreadable: list[str] = []
    for request_id, reference, name, filed_at in pending:
        path = photo_path(name, upload_dir=upload_dir)
        if path is None:
            missing.append(reference)
            continue
        photo = read_stored_file(path)
        if photo is None:
            unreadable.append(reference)
            continue
        try:
            with database.write() as db:
                repository.insert_photo(db, request_id=request_id, photo=photo, at=filed_at)
        except IntegrityError:
            # Another run of the import stored it meanwhile.
            continue
        imported += 1
    log.info(
        "dispute photos imported: %d, missing %d, unreadable %d",
        imported,
        len(missing),
        len(unreadable),
    )
    return PhotoImport(imported=imported, missing=tuple(missing), unreadable=tuple(unreadable))
