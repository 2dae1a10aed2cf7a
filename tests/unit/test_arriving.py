"""A photo decoded from its bytes as they arrive (media/arriving.py): Pillow opens it before the
last byte is in, gets the same pixels as from the file, and is told at the end whether the bytes
matched their hash; a failed or abandoned fetch ends the decode rather than leaving it waiting."""

import threading

import pytest
from PIL import Image

from annotator.media.arriving import ArrivalFailed, ArrivingBytes
from annotator.media.images import inspect_size_upright, load_upright
from tests.helpers import shared

PHOTO = shared("voc-sample", "2011_000003.jpg")
ROTATED = shared("images", "hopper_orientation_6.jpg")


def trickle(arriving: ArrivingBytes, data: bytes, verified: bool, started: threading.Event) -> threading.Thread:
    """The fetch's side: the first piece, then the rest once the decoder has begun reading."""
    def fetch():
        arriving.write(data[:4096])
        started.wait(10)
        for at in range(4096, len(data), 8192):
            arriving.write(data[at:at + 8192])
        arriving.finish(verified)

    thread = threading.Thread(target=fetch)
    thread.start()
    return thread


@pytest.mark.parametrize("path", [PHOTO, ROTATED])
def test_a_photo_decodes_from_its_first_bytes_to_the_same_pixels_as_from_the_file(path):
    data = path.read_bytes()
    arriving = ArrivingBytes("/cache/ab/cd/abcd")
    first_read = threading.Event()
    fetch = trickle(arriving, data, True, first_read)
    reader = arriving.reader()
    head = reader.read(2)  # only the first piece is in, and it is enough to begin
    first_read.set()
    reader.seek(0)
    size = inspect_size_upright(arriving.name, 178_956_970, reader)
    decoded = load_upright(arriving.name, 178_956_970, None, arriving.reader())
    fetch.join()
    assert head == b"\xff\xd8"
    assert arriving.verified() is True
    assert size == decoded.size == inspect_size_upright(path, 178_956_970)
    assert decoded.tobytes() == load_upright(path, 178_956_970).tobytes()


def test_bytes_that_did_not_match_end_the_decode_with_a_refusal():
    data = PHOTO.read_bytes()
    arriving = ArrivingBytes("/cache/ab/cd/abcd")
    arriving.write(data[:1000])
    arriving.finish(verified=False)  # the fetch broke off, or the hash did not match
    with pytest.raises(ArrivalFailed, match="/cache/ab/cd/abcd"):
        Image.open(arriving.reader()).load()
    assert arriving.verified() is False


def test_an_abandoned_decode_stops_waiting_and_the_fetchs_verdict_no_longer_counts():
    arriving = ArrivingBytes("/cache/ab/cd/abcd")
    arriving.write(b"\xff\xd8")
    outcome = []
    reader = threading.Thread(target=lambda: outcome.append(_read_or_fail(arriving)))
    reader.start()
    arriving.abandon()  # the window closes while the store is slow
    reader.join(10)
    arriving.finish(verified=True)  # the fetch ends later; the decoder is gone
    assert not reader.is_alive() and outcome == ["refused"]
    assert arriving.verified() is False


def _read_or_fail(arriving: ArrivingBytes) -> str:
    try:
        arriving.reader().read(10_000)
    except ArrivalFailed:
        return "refused"
    return "read"
