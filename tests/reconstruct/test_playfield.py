"""The playfield found by colour, and the ball's expected size over it."""

import numpy as np
import pytest

from reconstruct.ball_synth import draw_table
from reconstruct.playfield import ball_radius_map, playfield_hull, playfield_mask


def test_playfield_of_a_drawn_table(german):
    # a green field in the middle of a grey frame: the hull covers the field, not the frame
    field = draw_table(400, 300, 5.0, seed=0).image
    img = np.full((480, 640, 3), 90, np.uint8)
    img[90:390, 120:520] = field
    mask = playfield_mask(img)
    assert mask[100:380, 130:510].mean() > 0.97
    assert not mask[:80].any() and not mask[400:].any()
    assert not mask[:, :110].any() and not mask[:, 530:].any()
    radius = ball_radius_map(img, mask, german)
    # the field is 400 px across the rods (horizontal): the table's width
    expected = german.ball.radius / german.width * 400
    assert np.median(radius[mask]) == pytest.approx(expected, rel=0.1)
    assert len(playfield_hull(img)) >= 3


def test_no_table_in_view_is_a_clear_error():
    with pytest.raises(ValueError, match="table in view"):
        playfield_mask(np.full((240, 320, 3), 128, np.uint8))
