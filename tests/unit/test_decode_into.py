"""A photo decoded straight into the display's buffer (load_upright's `into`): the same pixels as a
decode into Pillow's own memory, and only where they will be shown as decoded."""

import pytest

from annotator.media import MediaError
from annotator.media.images import load_upright
from tests.helpers import shared

PHOTO = shared("voc-sample", "2011_000003.jpg")
LIMIT = 178_956_970


class Buffers:
    def __init__(self):
        self.given: list[bytearray] = []

    def __call__(self, size: tuple[int, int]) -> bytearray:
        self.given.append(bytearray(size[0] * size[1] * 4))
        return self.given[-1]


@pytest.mark.parametrize("max_side", [None, 200])
def test_a_photo_decoded_into_a_buffer_has_the_same_pixels_as_one_decoded_by_pillow(max_side):
    buffers = Buffers()
    into = load_upright(PHOTO, LIMIT, max_side, into=buffers)
    own = load_upright(PHOTO, LIMIT, max_side)
    assert len(buffers.given) == 1
    assert into.size == own.size
    # The buffer holds the picture, as RGBX with X = 255, and the image returned is a view of it.
    assert bytes(buffers.given[0]) == own.convert("RGBX").tobytes() == into.tobytes()
    assert set(bytes(buffers.given[0])[3::4]) == {255}


@pytest.mark.parametrize("path", [shared("images", "hopper_orientation_6.jpg"), shared("images", "transparent.png"),
                                  shared("images", "l_trns.png")])
def test_a_picture_that_is_turned_or_not_a_colour_jpeg_is_decoded_by_pillow_and_asks_for_no_buffer(path):
    buffers = Buffers()
    img = load_upright(path, LIMIT, None, into=buffers)
    assert buffers.given == []
    reference = load_upright(path, LIMIT, None)
    assert img.mode == reference.mode and img.tobytes() == reference.tobytes()


def test_a_truncated_jpeg_decoded_into_a_buffer_is_refused_by_name():
    path = shared("images", "truncated_jpeg.jpg")
    with pytest.raises(MediaError, match="truncated_jpeg.jpg: the image cannot be read"):
        load_upright(path, LIMIT, None, into=Buffers())
