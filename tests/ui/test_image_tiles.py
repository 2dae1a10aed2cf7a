"""A large photo is never decoded whole for display: the first view is reduced, and zooming in
lays the part in view over it, at the resolution the zoom needs, with the photo's own pixels."""

from types import SimpleNamespace

import numpy as np
import pytest
from PIL import Image
from PySide6.QtCore import QPointF

from annotator.tasks.image_boxes.widget import ImageBoxesWidget
from annotator.ui.image_tiles import TILED_ABOVE_PIXELS
from tests.helpers import shared


@pytest.fixture(scope="module")
def large_photo(tmp_path_factory):
    """A real photo, enlarged past the tiling threshold (8,400 × 5,000 = 42 MP)."""
    path = tmp_path_factory.mktemp("large") / "large.jpg"
    Image.open(shared("voc-sample", "2011_000003.jpg")).convert("RGB").resize((8400, 5000)).save(path, quality=85)
    assert 8400 * 5000 > TILED_ABOVE_PIXELS
    return path


def test_zooming_into_a_large_photo_shows_the_part_in_view_at_full_resolution(qtbot, large_photo):
    w = ImageBoxesWidget()
    qtbot.addWidget(w)
    w.resize(1280, 800)
    w.show()
    shown, tiles = [], []
    w.image_ready.connect(shown.append)
    w.tile_shown.connect(tiles.append)
    w.load(SimpleNamespace(payload={"image": str(large_photo)}, config={"labels": ["a"]}, prediction=None, draft=None,
                           confidence=None, pixel_limit=200_000_000))
    qtbot.waitUntil(lambda: bool(shown), timeout=20_000)
    assert not shown[0].full and w.canvas.image_size == (8400, 5000)
    assert not any(key.endswith("#full") for key in w.cache.items) and not w.cache.pending  # never decoded whole

    c = w.canvas
    c.resetTransform()  # 100 %: one image pixel per screen pixel
    c.centerOn(QPointF(6000, 1200))
    w.zoomed()
    qtbot.waitUntil(lambda: bool(tiles), timeout=20_000)
    tile = tiles[-1]
    assert tile.scale == 1.0 and tile.rect.contains(c.visible_rect())
    assert tile.rect.width() < 8400 / 2  # the part in view with a margin, not the photo
    # Its pixels are the photo's, where the scene says they are.
    full = np.asarray(Image.open(large_photo).convert("RGB"))
    image = c.detail.pixmap().toImage()
    for x, y in ((6000, 1200), (5600, 1000), (6300, 1400)):
        colour = image.pixelColor(int(x - tile.rect.x()), int(y - tile.rect.y()))
        assert (colour.red(), colour.green(), colour.blue()) == tuple(full[y, x])
    c.centerOn(QPointF(1500, 4000))  # a pan to the other corner brings the part in view there
    qtbot.waitUntil(lambda: len(tiles) > 1, timeout=20_000)
    assert tiles[-1].rect.contains(c.visible_rect())
    w.close()
