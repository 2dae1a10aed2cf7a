"""Decoded pixels for Qt: a Pillow image handed to a QImage with one copy, made by Pillow, and put
in the format a pixmap keeps on the decoding thread rather than on the UI thread."""

from __future__ import annotations

from PySide6.QtGui import QImage


def to_qimage(img) -> QImage:
    """The image's pixels in a QImage that keeps their bytes alive. Pillow keeps an RGB pixel
    in four bytes: exported as RGBX they are copied as they lie, where packing them into three
    takes five times as long (10 ms for the screen-size view of a 12 MP photo), and Qt paints
    either the same."""
    if img.mode not in ("RGB", "RGBA"):
        img = img.convert("RGBA" if "A" in img.getbands() or "transparency" in img.info else "RGB")
    if img.mode == "RGB":
        data, fmt = img.tobytes("raw", "RGBX"), QImage.Format.Format_RGBX8888
    else:
        data, fmt = img.tobytes(), QImage.Format.Format_RGBA8888
    qimg = QImage(data, img.width, img.height, img.width * 4, fmt)
    qimg._keep = data  # the buffer must outlive the QImage
    return qimg


def for_display(image: QImage) -> QImage:
    """The image in the format a screen's pixmaps keep (32-bit RGB, or premultiplied ARGB where
    it has alpha), converted where this is called: a decoding thread. QPixmap.fromImage on the UI
    thread then shares its pixels instead of converting them, a pass over every pixel that a
    person drawing a box would feel when a photo's full resolution arrives. A platform whose
    pixmaps keep another format converts in fromImage, as before."""
    wanted = QImage.Format.Format_ARGB32_Premultiplied if image.hasAlphaChannel() else QImage.Format.Format_RGB32
    if image.format() != wanted:
        image.convertTo(wanted)
    return image
