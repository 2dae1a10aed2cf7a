"""The import's check of a JPEG's structure, on real photos cut and damaged the ways copies and
downloads damage them, and on the variants cameras write (progressive, bytes after the end)."""

from io import BytesIO

import pytest
from PIL import Image

from annotator.media import MediaError
from annotator.media.images import checked_image
from tests.helpers import shared

LIMIT = 178_956_970


def photo_bytes(**save) -> bytes:
    out = BytesIO()
    Image.open(shared("voc-sample", "2011_000003.jpg")).save(out, "JPEG", **save)
    return out.getvalue()


def write(tmp_path, data: bytes, name="p.jpg"):
    path = tmp_path / name
    path.write_bytes(data)
    return path


@pytest.mark.parametrize("save", [{}, {"progressive": True}, {"quality": 95, "optimize": True}])
def test_whole_photos_pass_baseline_or_progressive(tmp_path, save):
    assert checked_image(write(tmp_path, photo_bytes(**save)), LIMIT)[0].width == 500


def test_bytes_a_camera_appends_after_the_end_are_not_a_fault(tmp_path):
    assert checked_image(write(tmp_path, photo_bytes() + b"motion-photo trailer" * 100), LIMIT)[0].height == 338


@pytest.mark.parametrize("keep", [0.99, 0.5, 0.02])
def test_a_photo_cut_short_anywhere_is_refused_as_truncated(tmp_path, keep):
    data = photo_bytes(progressive=keep == 0.5)
    with pytest.raises(MediaError, match="truncated|corrupt"):
        checked_image(write(tmp_path, data[: int(len(data) * keep)]), LIMIT)


def test_garbage_among_the_headers_is_refused_as_corrupt(tmp_path):
    data = bytearray(photo_bytes())
    start = data.index(b"\xff\xdb")  # the first quantization table's segment
    data[start:start + 2] = b"\x12\x34"
    with pytest.raises(MediaError, match="corrupt|cannot identify|not an image"):
        checked_image(write(tmp_path, bytes(data)), LIMIT)
