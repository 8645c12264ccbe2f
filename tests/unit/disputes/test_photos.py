"""Meter photos: the type comes from the content, broken files are refused, metadata is gone."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from tests.support.factories.photos import gif, jpeg_with_exif, png_with_text
from waterbill.disputes.errors import PhotoTooLarge, PhotoUndecodable, PhotoWrongType
from waterbill.disputes.photos import MAX_PHOTO_BYTES, MAX_SIDE, clean_photo


def _corrupt(jpeg: bytes) -> bytes:
    """Keeps the headers and replaces the compressed picture data with invalid markers."""
    start = jpeg.index(b"\xff\xda")
    return jpeg[: start + 20] + b"\xff\xd0\xff\xc4" * 200 + b"\xff\xd9"


def _cut_in_pixels(png: bytes) -> bytes:
    return png[: png.index(b"IDAT") + 12]


def test_a_jpeg_keeps_its_pixels_and_loses_every_exif_tag_including_the_gps_position() -> None:
    original = jpeg_with_exif()
    assert Image.open(io.BytesIO(original)).getexif()  # the fixture really carries EXIF

    cleaned = clean_photo(original)

    assert cleaned.media_type == "image/jpeg"
    assert cleaned.extension == "jpg"
    image = Image.open(io.BytesIO(cleaned.data))
    assert image.format == "JPEG"
    assert image.size == (640, 480)
    assert not image.getexif()
    assert b"Exif" not in cleaned.data
    assert b"Phone X Pro" not in cleaned.data
    assert image.getpixel((10, 10)) == pytest.approx((250, 250, 250), abs=6)


def test_the_exif_orientation_is_applied_to_the_pixels_before_the_exif_is_dropped() -> None:
    cleaned = clean_photo(jpeg_with_exif(size=(640, 480), orientation=6))  # rotate 90° clockwise
    assert Image.open(io.BytesIO(cleaned.data)).size == (480, 640)


def test_png_text_chunks_are_dropped_and_transparency_is_kept() -> None:
    original = png_with_text()
    assert b"5ZK3LRT" in original

    cleaned = clean_photo(original)

    assert cleaned.media_type == "image/png"
    image = Image.open(io.BytesIO(cleaned.data))
    assert image.mode == "RGBA"
    assert not image.text  # type: ignore[attr-defined]
    assert b"tEXt" not in cleaned.data
    assert b"5ZK3LRT" not in cleaned.data


def test_a_photo_over_5_mb_is_refused_before_it_is_decoded() -> None:
    with pytest.raises(PhotoTooLarge) as refused:
        clean_photo(b"\xff\xd8\xff" + b"\0" * MAX_PHOTO_BYTES)
    assert refused.value.params == {"max_mb": 5}


def test_a_photo_of_exactly_5_mb_is_accepted() -> None:
    image = jpeg_with_exif()
    # JPEG decoders stop at the end-of-image marker: padding after it makes the size exact.
    padded = image + b"\0" * (MAX_PHOTO_BYTES - len(image))
    assert len(padded) == MAX_PHOTO_BYTES
    assert clean_photo(padded).media_type == "image/jpeg"


@pytest.mark.parametrize(
    "content",
    [
        pytest.param(gif(), id="a GIF"),
        pytest.param(b"%PDF-1.7\n1 0 obj\n<<>>\nendobj\n", id="a PDF"),
        pytest.param(b"<?php echo 'hi'; ?>", id="a script"),
        pytest.param(b"MZ\x90\x00" + b"\0" * 200, id="a Windows program"),
    ],
)
def test_content_that_is_not_jpeg_or_png_is_refused_whatever_its_name(content: bytes) -> None:
    with pytest.raises(PhotoWrongType):
        clean_photo(content)


@pytest.mark.parametrize(
    "content",
    [
        pytest.param(jpeg_with_exif()[:2000], id="a truncated JPEG"),
        pytest.param(_cut_in_pixels(png_with_text()), id="a truncated PNG"),
        pytest.param(_corrupt(jpeg_with_exif()), id="a JPEG with a corrupt scan"),
        pytest.param(b"", id="an empty file"),
    ],
)
def test_an_image_that_does_not_decode_is_refused(content: bytes) -> None:
    with pytest.raises(PhotoUndecodable):
        clean_photo(content)


def test_a_png_signature_followed_by_rubbish_is_not_taken_for_a_png() -> None:
    with pytest.raises(PhotoWrongType):
        clean_photo(b"\x89PNG\r\n\x1a\n" + b"\0" * 100)


def test_a_decompression_bomb_is_refused() -> None:
    out = io.BytesIO()
    # Tiny as a file, 100 megapixels as a bitmap.
    Image.new("1", (10_000, 10_000)).save(out, format="PNG")
    assert len(out.getvalue()) < 100_000
    with pytest.raises(PhotoTooLarge) as refused:
        clean_photo(out.getvalue())
    assert refused.value.params == {"reason": "pixels", "max_megapixels": 50}


def test_a_very_large_photo_is_scaled_down_to_a_readable_size() -> None:
    out = io.BytesIO()
    Image.new("RGB", (6000, 4000), (200, 10, 10)).save(out, format="JPEG", quality=50)
    image = Image.open(io.BytesIO(clean_photo(out.getvalue()).data))
    assert max(image.size) <= MAX_SIDE
