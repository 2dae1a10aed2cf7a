"""The box canvas's geometry, without Qt: what a point hits, and what moving and resizing do."""

from hypothesis import given, strategies as st

from annotator.tasks.image_boxes.canvas_geometry import Box, clamp, hit, moved, resized

W, H = 640.0, 480.0
coords = st.floats(-200, 900, allow_nan=False)


def test_a_point_hits_the_smallest_box_and_its_edges_within_the_tolerance():
    big, small = Box(10, 10, 300, 300), Box(100, 100, 150, 150)
    assert hit([big, small], 120, 120, 3) == (1, "move")  # inside both: the smaller one
    assert hit([big, small], 100, 101, 3) == (1, "tl")
    assert hit([big, small], 302, 200, 3) == (0, "r")  # just outside, within the tolerance
    assert hit([big, small], 149, 151, 3) == (1, "br")
    assert hit([big, small], 400, 400, 3) == (None, "")


def test_moving_keeps_the_whole_box_on_the_image():
    assert moved(Box(10, 10, 110, 60), -50, 1000, W, H) == Box(0, 430, 100, 480)
    assert moved(Box(10, 10, 110, 60), 5, 5, W, H) == Box(15, 15, 115, 65)


def test_resizing_past_the_opposite_edge_turns_the_box_over_and_stays_on_the_image():
    assert resized(Box(100, 100, 200, 200), "l", 150, 0, W, H) == Box(200, 100, 250, 200)
    assert resized(Box(100, 100, 200, 200), "br", 1000, 1000, W, H) == Box(100, 100, W, H)
    assert resized(Box(100, 100, 200, 200), "t", 0, -30, W, H) == Box(100, 70, 200, 200)


@given(coords, coords, coords, coords, st.sampled_from(["t", "b", "l", "r", "tl", "tr", "bl", "br"]), coords, coords)
def test_every_drag_leaves_a_box_inside_the_image(x0, y0, x1, y1, edges, dx, dy):
    start = clamp(Box.spanning(x0, y0, x1, y1), W, H)
    for after in (resized(start, edges, dx, dy, W, H), clamp(start, W, H)):
        assert 0 <= after.left <= after.right <= W and 0 <= after.top <= after.bottom <= H
    if start.width <= W and start.height <= H:
        m = moved(start, dx, dy, W, H)
        assert (round(m.width, 6), round(m.height, 6)) == (round(start.width, 6), round(start.height, 6))
        assert 0 <= m.left and m.right <= W + 1e-9 and 0 <= m.top and m.bottom <= H + 1e-9
