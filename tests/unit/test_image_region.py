"""A region of a large photo, decoded and turned upright, is exactly that part of the upright
photo, whatever its EXIF orientation."""

import numpy as np
import pytest
from PIL import Image, ImageOps

from annotator.media.images import load_region_upright, to_original, to_upright


def photo(path, orientation):
    rng = np.random.default_rng(orientation)
    img = Image.fromarray(rng.integers(0, 255, (200, 300, 3), dtype=np.uint8))
    exif = Image.Exif()
    exif[0x0112] = orientation
    img.save(path, exif=exif.tobytes())  # PNG: lossless, so pixels compare exactly
    return path


@pytest.mark.parametrize("orientation", range(1, 9))
def test_a_region_is_that_part_of_the_upright_photo(tmp_path, orientation):
    path = photo(tmp_path / f"o{orientation}.png", orientation)
    upright = ImageOps.exif_transpose(Image.open(path))
    tile, covered = load_region_upright(path, 10**8, (50.0, 40.0, 150.0, 110.0), 1.0)
    left, top, right, bottom = covered
    assert left <= 50 and top <= 40 and right >= 150 and bottom >= 110  # all that was asked
    assert (right - left, bottom - top) == tile.size
    expected = upright.crop(tuple(int(v) for v in covered))
    assert np.array_equal(np.asarray(tile), np.asarray(expected))


@pytest.mark.parametrize("orientation", range(1, 9))
def test_the_two_mappings_undo_each_other(orientation):
    for x, y in ((0.0, 0.0), (12.5, 7.0), (199.0, 299.0)):
        assert to_upright(*to_original(x, y, orientation, 300, 200), orientation, 300, 200) == (x, y)
