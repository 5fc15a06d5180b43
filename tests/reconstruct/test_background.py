"""The snapshot background: the ball never enters it where the tracker holds it, the rest is
learned; priming from frames spread over a video leaves no ghost of the first ball."""

import cv2
import numpy as np

from reconstruct.background import HOLD_SNAPSHOTS, SnapshotBackground, median5

GREEN = (100, 121, 81)
BALL = (200, 210, 212)


def _table(ball=None, man=None) -> np.ndarray:
    img = np.zeros((120, 160, 3), np.uint8)
    img[:] = GREEN
    if man is not None:  # a red block
        img[40:60, man:man + 12] = (40, 40, 200)
    if ball is not None:
        cv2.circle(img, ball, 7, BALL, -1, lineType=cv2.LINE_AA)
    return img


def test_median5_is_the_exact_median():
    rng = np.random.default_rng(1)
    imgs = [rng.integers(0, 256, (20, 30, 3), dtype=np.uint8) for _ in range(5)]
    assert (median5(*imgs) == np.median(np.stack(imgs), axis=0)).all()


def test_a_held_ball_stays_out_and_a_moving_man_is_learned():
    bg = SnapshotBackground(every=1, count=5)
    bg.update(_table())
    colour = np.array(BALL, np.float32)
    for _ in range(8):  # a ball resting at (80, 90), a man come to a stop at x=20
        bg.update(_table(ball=(80, 90), man=20), keep=[(80, 90, 12)], colour=colour)
    img = bg.image.astype(int)
    assert np.abs(img[90, 80] - GREEN).max() <= 2, "the resting ball entered the background"
    assert np.abs(img[50, 25] - (40, 40, 200)).max() <= 2, "the man was not learned"
    # without the keep box the ball is learned like anything else
    for _ in range(8):
        bg.update(_table(ball=(80, 90), man=20))
    assert np.abs(bg.image[90, 80].astype(int) - BALL).max() <= 3


def test_a_ball_resting_where_the_tracker_does_not_look_stays_out():
    # lost under a man, the ball rests where no hypothesis holds it: it must not become part
    # of the empty table (it would hide the ball there, and leave a ghost once it rolls on)
    bg = SnapshotBackground(every=1, count=5)
    bg.update(_table())
    colour = np.array(BALL, np.float32)
    for _ in range(8):
        bg.update(_table(ball=(80, 90), man=20), keep=[], colour=colour)
    img = bg.image.astype(int)
    assert np.abs(img[85:96, 75:86] - GREEN).max() <= 2, "the resting ball entered the background"
    assert np.abs(img[50, 25] - (40, 40, 200)).max() <= 2, "the man was not learned"


def test_a_ball_like_patch_that_never_leaves_is_learned_in_the_end():
    # a white marking a man stood on when the background was primed looks like the ball
    # against it: held back for a few snapshots, then it is the table
    bg = SnapshotBackground(every=1, count=5)
    bg.update(_table(man=74))
    colour = np.array(BALL, np.float32)
    for _ in range(HOLD_SNAPSHOTS):
        bg.update(_table(ball=(80, 50)), colour=colour)
    assert np.abs(bg.image[50, 80].astype(int) - (40, 40, 200)).max() <= 2
    for _ in range(8):
        bg.update(_table(ball=(80, 50)), colour=colour)
    assert np.abs(bg.image[50, 80].astype(int) - BALL).max() <= 3


def test_priming_leaves_no_ghost_of_the_first_ball():
    frames = [_table(ball=(20 + 25 * i, 60)) for i in range(5)]
    bg = SnapshotBackground(every=4)
    bg.prime(frames)
    assert np.abs(bg.image.astype(int) - GREEN).max() <= 1


def test_markings_are_thin_bright_lines_not_ball_sized_spots():
    from reconstruct.track import _markings

    img = _table()
    img[:, 40:43] = (225, 230, 228)  # a white line 3 px wide
    cv2.circle(img, (110, 60), 8, (225, 230, 228), -1)  # something ball-sized and white
    m = _markings(img, width_px=1.2 * 8)
    assert m[:, 41].all()
    assert m[60, 110] == 0 and m[60, 20] == 0


def test_a_man_who_left_leaves_no_ghost_where_the_men_are_known():
    """Given the men's silhouettes at each snapshot, a man who held a pose for most
    snapshots is in the background (and in ``men``) while he stays; once he has left, the
    background shows the field he uncovered (as last seen free of men), not the median's
    ghost of him, though most snapshots still hold him there."""
    bg = SnapshotBackground(every=1, count=5)
    bg.prime([_table()] * 5)
    assert bg.men is None  # the primed snapshots' men are unknown

    def silhouette(man):
        m = np.zeros((120, 160), np.uint8)
        m[40:60, man:man + 12] = 1
        return m

    for _ in range(3):  # a man held at x = 20
        bg.update(_table(man=20), men=lambda: silhouette(20))
    assert bg.men[50, 25] == 1 and bg.men[50, 100] == 0
    assert np.abs(bg.image[50, 25].astype(int) - (40, 40, 200)).max() <= 2
    bg.update(_table(man=100), men=lambda: silhouette(100))
    # 3 of 5 snapshots still show him at x = 20: the median would too
    assert np.abs(median5(*bg._snaps)[50, 25].astype(int) - (40, 40, 200)).max() <= 2
    assert bg.men[50, 25] == 0 and bg.men[50, 105] == 0
    assert np.abs(bg.image[50, 25].astype(int) - GREEN).max() <= 2
    for _ in range(3):  # he stays at x = 100: learned there
        bg.update(_table(man=100), men=lambda: silhouette(100))
    assert bg.men[50, 105] == 1
    assert np.abs(bg.image[50, 105].astype(int) - (40, 40, 200)).max() <= 2
    assert np.abs(bg.image[50, 25].astype(int) - GREEN).max() <= 2


def test_a_man_who_left_between_snapshots_is_taken_out_of_the_background():
    """``unghost``: a man in the background who has left since the last snapshot (by the
    men's silhouettes now) is replaced by the field as last seen free of men, at once; a
    man still standing where the background shows him stays."""
    bg = SnapshotBackground(every=100, count=5)
    bg.prime([_table()] * 5)

    def silhouette(*men):
        m = np.zeros((120, 160), np.uint8)
        for x in men:
            m[40:60, x:x + 12] = 1
        return m

    bg.update(_table(man=20), men=lambda: silhouette(20))  # the first frame: a snapshot
    for _ in range(4):  # held for 4 more snapshots (every 100 frames)
        for _ in range(100):
            bg.update(_table(man=20), men=lambda: silhouette(20))
    assert bg.men[50, 25] == 1
    image = bg.image
    assert not bg.unghost(silhouette(20))  # he is still there: nothing changes
    assert bg.image is image
    assert bg.unghost(silhouette(100))  # he has left for x = 100
    assert bg.image is not image and bg.men[50, 25] == 0
    assert np.abs(bg.image[50, 25].astype(int) - GREEN).max() <= 2
