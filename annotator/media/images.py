"""Images: check at import, decode upright for display. Sizes are those of the upright image."""

from __future__ import annotations

import hashlib
import io
import os
import warnings
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO, Callable, Iterator

from PIL import Image, UnidentifiedImageError

from annotator.media import MediaError, file_sha256

IMAGE_EXTENSIONS = {".jpg", ".jpeg", ".png", ".tif", ".tiff", ".webp", ".bmp", ".gif"}
WHOLE_READ_BYTES = 64 << 20  # a larger image is hashed as it is read, a MB at a time
# Given (width, height), a writable buffer for that many RGBX pixels (load_upright's `into`).
PixelBuffer = Callable[[tuple[int, int]], Any]
# EXIF orientations 5..8 swap width and height.
_SWAPS_AXES = {5, 6, 7, 8}

# We enforce our own, per-project limit; Pillow's global one would fire first with a less clear message.
Image.MAX_IMAGE_PIXELS = None
# Pillow's image memory comes in blocks (16 MB by default). glibc serves blocks of 32 MB or less
# from its heap once one has been freed, and keeps them: after a few zooms into a 100 MP photo
# the app held 800 MB. Blocks larger than that are mapped and unmapped whole.
Image.core.set_block_size(64 * 1024 * 1024)


@dataclass(frozen=True)
class ImageInfo:
    width: int  # of the upright image
    height: int
    format: str
    orientation: int


def exif_orientation(img: Image.Image) -> int:
    try:
        return int(img.getexif().get(0x0112, 1) or 1)
    except Exception:
        return 1


def check_pixels(width: int, height: int, pixel_limit: int) -> None:
    """Refuse an image over the project's limit before anything is decoded."""
    if width * height > pixel_limit:
        raise MediaError(
            f"the image is {width}×{height} = {width * height:,} pixels, over this project's limit of "
            f"{pixel_limit:,} (a possible decompression bomb); raise the project's pixel_limit if it is genuine"
        )


def checked_image(path: str | Path, pixel_limit: int) -> tuple[ImageInfo, str]:
    """The image's upright size and format, and its sha256. The size is checked against the pixel
    limit before anything is decoded, then the whole file for truncation and corruption: a JPEG
    by its structure, anything else by decoding it. One read of the file, where it is no larger
    than a photo: an import checks thousands on threads, and each read hands the interpreter's
    lock over once more."""
    try:
        size = os.stat(path).st_size
    except FileNotFoundError:
        raise MediaError("file not found") from None
    data = Path(path).read_bytes() if size <= WHOLE_READ_BYTES else None
    info = _inspect(Path(path), data, pixel_limit)
    return info, hashlib.sha256(data).hexdigest() if data is not None else file_sha256(path)


def _inspect(path: Path, data: bytes | None, pixel_limit: int) -> ImageInfo:
    """checked_image's check, of the file's bytes when they were read whole, else of the file."""
    try:
        with Image.open(io.BytesIO(data) if data is not None else path) as img:
            width, height = img.size
            check_pixels(width, height, pixel_limit)
            orientation = exif_orientation(img)
            fmt = img.format or "unknown"
            if fmt == "JPEG":
                check_jpeg_structure(data if data is not None else path.read_bytes())
            else:
                with warnings.catch_warnings():
                    warnings.simplefilter("error", Image.DecompressionBombWarning)
                    img.load()
    except MediaError:
        raise
    except FileNotFoundError:
        raise MediaError("file not found") from None
    except UnidentifiedImageError:
        raise MediaError("not an image Pillow can read (corrupt, or not an image format)") from None
    except (OSError, SyntaxError, ValueError) as exc:
        raise MediaError(f"the image is corrupt or truncated ({exc})") from None
    if orientation in _SWAPS_AXES:
        width, height = height, width
    return ImageInfo(width, height, fmt, orientation)


def check_jpeg_structure(data: bytes) -> None:
    """The JPEG's segments, walked from its start to its first scan, and an end-of-image marker
    after that scan. A JPEG cut short, the usual damage of a copy or download that stopped, has
    none. A decode would also catch some damage inside the scan data, but at import it costs more
    than the upload (docs/adr/0013); such a file says so by name when it is shown."""
    pos, size = 2, len(data)
    while True:
        if pos + 4 > size:
            raise MediaError("the image is truncated: the file ends inside its headers")
        if data[pos] != 0xFF:
            raise MediaError(f"the image is corrupt: no JPEG segment at byte {pos:,}")
        marker = data[pos + 1]
        if marker == 0xFF:  # a fill byte
            pos += 1
            continue
        length = int.from_bytes(data[pos + 2:pos + 4], "big")
        if marker == 0xDA:  # the first scan
            break
        pos += 2 + length
    # In scan data a 0xFF byte is always followed by 0x00 or a restart marker, so a file cut
    # short has no FF D9 after its first scan starts. Searched from the end, where the marker is
    # (or just before what a camera appends): 0xFF is common in scan data, so a search from the
    # front takes milliseconds, holding the GIL.
    if data.rfind(b"\xff\xd9", pos + 2 + length) < 0:
        raise MediaError("the image is truncated: the file is cut short before its end-of-image marker")


@contextmanager
def _reading_for_display(path: str | Path) -> Iterator[None]:
    """Pillow's many failure types, as one MediaError that names the file."""
    try:
        yield
    except MediaError:
        raise
    except FileNotFoundError:
        raise MediaError(f"{path}: file not found") from None
    except (OSError, SyntaxError, ValueError, UnidentifiedImageError) as exc:
        raise MediaError(f"{path}: the image cannot be read ({exc})") from None


def load_upright(path: str | Path, pixel_limit: int, max_side: int | None = None,
                 fp: BinaryIO | None = None, into: PixelBuffer | None = None) -> Image.Image:
    """Decode for display: reduced-size first when max_side is given (JPEG draft, else reduce),
    then turned upright by its EXIF orientation. Read from `fp` when given (the bytes of `path`
    as they arrive: media/arriving.py).

    `into(size)`, when given, is asked for a writable buffer of width × height pixels of four
    bytes (R, G, B, 255; rows unpadded) when the decoded image will be shown as it comes out of
    the decoder: an upright JPEG in colour. The pixels are then decoded into it, and the image
    returned is a view of it: the display need not copy the whole picture once more."""
    with _reading_for_display(path):
        img = Image.open(path if fp is None else fp)
        width, height = img.size
        check_pixels(width, height, pixel_limit)
        factor = 1
        if max_side and max(width, height) > max_side:
            if img.format == "JPEG":  # the longest side stays at least max_side (draft keeps both sides above)
                longest = max(width, height)
                img.draft("RGB", (max(1, max_side * width // longest), max(1, max_side * height // longest)))
            factor = max(1, max(img.size) // max_side)
            if factor > 1:
                img = img.reduce(factor)
        orientation = exif_orientation(img)
        if into is not None and factor == 1 and orientation not in _TRANSPOSE and img.format == "JPEG" \
                and img.mode == "RGB":
            return _decoded_into(img, into(img.size))
        img.load()
        # Only the turn: ImageOps.exif_transpose also copies an upright image whole and rewrites
        # its EXIF, a fifth of a 12 MP photo's reduced decode, for a picture that is only shown.
        return img.transpose(_TRANSPOSE[orientation]) if orientation in _TRANSPOSE else img


def _decoded_into(img: Image.Image, buffer) -> Image.Image:
    """An RGB image decoded into `buffer`. Pillow keeps an RGB pixel in four bytes, as RGBX, so an
    RGBX image mapped on the buffer is the memory the decoder fills, once Pillow is given it to
    load into (ImageFile.load_prepare makes its own only when the image has none)."""
    mapped = Image.frombuffer("RGBX", img.size, buffer, "raw", "RGBX", img.size[0] * 4, 1)
    img.im = mapped.im
    img.load()
    if img.im is not mapped.im:  # a Pillow that decodes into memory of its own: copied, still correct
        memoryview(buffer).cast("B")[:] = img.convert("RGBX").tobytes()
    return mapped


def inspect_size_upright(path: str | Path, pixel_limit: int, fp: BinaryIO | None = None) -> tuple[int, int]:
    """(width, height) of the upright image from its header alone, after the pixel-limit check."""
    with _reading_for_display(path), Image.open(path if fp is None else fp) as img:
        width, height = img.size
        check_pixels(width, height, pixel_limit)
        orientation = exif_orientation(img)
    return (height, width) if orientation in _SWAPS_AXES else (width, height)


# ---- a region of a large image -------------------------------------------------------------------

# Pillow's transposes that ImageOps.exif_transpose applies for each EXIF orientation.
_TRANSPOSE = {2: Image.Transpose.FLIP_LEFT_RIGHT, 3: Image.Transpose.ROTATE_180, 4: Image.Transpose.FLIP_TOP_BOTTOM,
              5: Image.Transpose.TRANSPOSE, 6: Image.Transpose.ROTATE_270, 7: Image.Transpose.TRANSVERSE,
              8: Image.Transpose.ROTATE_90}


def to_original(x: float, y: float, orientation: int, width: int, height: int) -> tuple[float, float]:
    """A point of the upright image in the stored image's pixels (width × height as stored)."""
    return {1: (x, y), 2: (width - x, y), 3: (width - x, height - y), 4: (x, height - y), 5: (y, x),
            6: (y, height - x), 7: (width - y, height - x), 8: (width - y, x)}.get(orientation, (x, y))


def to_upright(x: float, y: float, orientation: int, width: int, height: int) -> tuple[float, float]:
    """The inverse of `to_original`."""
    return {1: (x, y), 2: (width - x, y), 3: (width - x, height - y), 4: (x, height - y), 5: (y, x),
            6: (height - y, x), 7: (height - y, width - x), 8: (y, width - x)}.get(orientation, (x, y))


def _bounds(points: list[tuple[float, float]]) -> tuple[float, float, float, float]:
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    return min(xs), min(ys), max(xs), max(ys)


def load_region_upright(path: str | Path, pixel_limit: int, region: tuple[float, float, float, float],
                        scale: float) -> tuple[Image.Image, tuple[float, float, float, float]]:
    """The part of the upright image inside `region` (left, top, right, bottom, in upright
    full-resolution pixels) at `scale` of full resolution (a JPEG decodes at 1/2, 1/4 or 1/8
    of it directly). Returns the tile, upright, and the region it covers. The decoded image is
    dropped as soon as the tile is cut out of it, so a large photo is never kept whole."""
    with _reading_for_display(path):
        img = Image.open(path)
        width, height = img.size
        check_pixels(width, height, pixel_limit)
        orientation = exif_orientation(img)
        if img.format == "JPEG" and scale < 1:
            img.draft("RGB", (max(1, int(width * scale)), max(1, int(height * scale))))
        img.load()
        fx, fy = img.size[0] / width, img.size[1] / height  # the resolution decoded
        left, top, right, bottom = _bounds([to_original(x, y, orientation, width, height)
                                            for x, y in ((region[0], region[1]), (region[2], region[3]))])
        box = (max(0, int(left * fx)), max(0, int(top * fy)), min(img.size[0], int(right * fx) + 1),
               min(img.size[1], int(bottom * fy) + 1))
        tile = img.crop(box)
        del img
        if orientation in _TRANSPOSE:
            tile = tile.transpose(_TRANSPOSE[orientation])
        covered = _bounds([to_upright(box[0] / fx, box[1] / fy, orientation, width, height),
                           to_upright(box[2] / fx, box[3] / fy, orientation, width, height)])
        return tile, covered
