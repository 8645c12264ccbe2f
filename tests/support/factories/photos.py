"""Photos as phones send them (metadata included), for the dispute and meter-reading tests."""

from __future__ import annotations

import io

from PIL import Image


def jpeg_with_exif(size: tuple[int, int] = (640, 480), orientation: int | None = None) -> bytes:
    """A phone-like JPEG carrying a camera model, a GPS position and optionally an orientation."""
    image = Image.new("RGB", size, (30, 90, 160))
    image.paste((250, 250, 250), (0, 0, size[0] // 4, size[1] // 4))
    exif = Image.Exif()
    exif[0x0110] = "Phone X Pro"  # Model
    exif[0x010F] = "Maker"  # Make
    gps = exif.get_ifd(0x8825)
    gps[1] = "N"
    gps[2] = (40.0, 22.0, 30.0)  # Baku
    gps[3] = "E"
    gps[4] = (49.0, 50.0, 10.0)
    if orientation is not None:
        exif[0x0112] = orientation
    out = io.BytesIO()
    image.save(out, format="JPEG", exif=exif.tobytes(), quality=90)
    return out.getvalue()


def png_with_text() -> bytes:
    from PIL.PngImagePlugin import PngInfo

    info = PngInfo()
    info.add_text("Comment", "FIN 5ZK3LRT, Füzuli küç. 12")
    info.add_text("Author", "Qorxmaz Hüseynov")
    out = io.BytesIO()
    Image.new("RGBA", (200, 100), (10, 200, 10, 128)).save(out, format="PNG", pnginfo=info)
    return out.getvalue()


def gif() -> bytes:
    out = io.BytesIO()
    Image.new("P", (50, 50)).save(out, format="GIF")
    return out.getvalue()
