"""Meter photos: checked from their content and cleaned of metadata before they are stored.

The file name and the declared content type come from the client and prove nothing, so the type is
read from the bytes by Pillow, the whole image is decoded (a truncated or forged file is refused),
and what is stored (in ``dispute_photos``) is a fresh encoding of the pixels alone: EXIF (GPS
position, phone serial), PNG text chunks and ICC profiles do not survive it.
"""

from __future__ import annotations

import io
import warnings

from PIL import Image, ImageOps, UnidentifiedImageError

from waterbill.disputes.domain import Photo
from waterbill.disputes.errors import PhotoTooLarge, PhotoUndecodable, PhotoWrongType

MAX_PHOTO_BYTES = 5 * 1024 * 1024
# A meter's dial is readable at far less; bigger pictures are scaled down on re-encoding.
MAX_SIDE = 2000
# Refuse decompression bombs: a small file that would decode to a huge bitmap.
MAX_PIXELS = 50_000_000
# Pillow's name of each format accepted, and its media type.
FORMATS = {"JPEG": "image/jpeg", "PNG": "image/png"}


def clean_photo(data: bytes) -> Photo:
    """A JPEG or PNG up to 5 MB, fully decoded and re-encoded without any metadata."""
    if len(data) > MAX_PHOTO_BYTES:
        raise PhotoTooLarge(max_mb=MAX_PHOTO_BYTES // (1024 * 1024))
    if not data:
        raise PhotoUndecodable()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            # Only the JPEG and PNG decoders ever see the bytes; anything else is unidentified.
            opened = Image.open(io.BytesIO(data), formats=tuple(FORMATS))
            kind = opened.format or ""
            if opened.width * opened.height > MAX_PIXELS:
                raise _too_many_pixels()
            longest = max(opened.size)
            if kind == "JPEG" and longest > MAX_SIDE:
                # Let the decoder scale down by a power of two on the way: the box keeps the
                # aspect ratio, or the shorter side would forbid any reduction.
                width, height = opened.size
                opened.draft("RGB", (width * MAX_SIDE // longest, height * MAX_SIDE // longest))
            opened.load()
            # The orientation lives in EXIF, which is about to go: apply it to the pixels first.
            image = ImageOps.exif_transpose(opened)
    except PhotoTooLarge:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise _too_many_pixels() from None
    except UnidentifiedImageError:
        raise PhotoWrongType() from None
    except (OSError, SyntaxError, ValueError):
        raise PhotoUndecodable() from None
    return Photo(data=_encode(image, kind), media_type=FORMATS[kind])


def _too_many_pixels() -> PhotoTooLarge:
    return PhotoTooLarge(reason="pixels", max_megapixels=MAX_PIXELS // 1_000_000)


def _encode(image: Image.Image, kind: str) -> bytes:
    if kind == "JPEG":
        pixels = image.convert("RGB")
    else:
        has_alpha = image.mode in {"RGBA", "LA", "PA"} or "transparency" in image.info
        pixels = image.convert("RGBA" if has_alpha else "RGB")
    pixels.thumbnail((MAX_SIDE, MAX_SIDE))
    # A new image from the raw pixels carries no info dictionary: nothing of the original's
    # metadata can be written back by the encoder.
    bare = Image.frombytes(pixels.mode, pixels.size, pixels.tobytes())
    out = io.BytesIO()
    if kind == "JPEG":
        bare.save(out, format="JPEG", quality=88)
    else:
        bare.save(out, format="PNG", optimize=True)
    return out.getvalue()
