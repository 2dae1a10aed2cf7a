"""Decoded pixels for Qt: a Pillow image wrapped as a QImage without an extra copy."""

from __future__ import annotations

from PySide6.QtGui import QImage


def to_qimage(img) -> QImage:
    """Wrap a Pillow image's buffer without an extra copy (the QImage keeps the bytes alive)."""
    if img.mode not in ("RGB", "RGBA"):
        img = img.convert("RGBA" if "A" in img.getbands() or "transparency" in img.info else "RGB")
    data = img.tobytes()
    fmt = QImage.Format.Format_RGB888 if img.mode == "RGB" else QImage.Format.Format_RGBA8888
    qimg = QImage(data, img.width, img.height, img.width * len(img.mode), fmt)
    qimg._keep = data  # the buffer must outlive the QImage
    return qimg
