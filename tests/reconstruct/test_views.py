"""The dominant view of a set of frames, and calibrating a folder of stills with strays from
other cameras."""

import cv2
import numpy as np
import pytest

from reconstruct.calibrate import Calibration, turned_around
from reconstruct.calibration.evaluate import pose_error, synthetic_cases
from reconstruct.calibration.sketch import sketch_clip
from reconstruct.cli import main
from reconstruct.views import main_view_frames, main_view_mask
from sim.table import load_table

CASES = synthetic_cases()
MAIN, OTHER = "broadcast", "tilted_off_centre"


@pytest.fixture(scope="module")
def mixed():
    """Sketched stills of the main view with three strays at positions 1, 4 and 6: two of
    another camera and one flipped and cropped still of the main view."""
    table = load_table("german")
    main_frames = sketch_clip(CASES[MAIN][1], table, 6, seed=5, supersample=2)
    other = sketch_clip(CASES[OTHER][1], table, 2, seed=6, supersample=2)
    h, w = main_frames[0].shape[:2]
    close_up = cv2.resize(main_frames[0][h // 4:3 * h // 4, w // 4:3 * w // 4, ::-1][::-1],
                          (w, h), interpolation=cv2.INTER_LINEAR)
    frames = list(main_frames)
    for i, stray in ((1, other[0]), (4, close_up), (6, other[1])):
        frames.insert(i, stray)
    return frames


def test_the_main_view_is_picked_and_strays_left_out(mixed):
    keep = main_view_mask(mixed)
    assert keep.tolist() == [i not in (1, 4, 6) for i in range(len(mixed))]
    assert len(main_view_frames(mixed)) == len(mixed) - 3
    # Too few frames to tell a view, or odd sizes: returned as they are (odd sizes dropped).
    assert len(main_view_frames(mixed[:2])) == 2
    assert len(main_view_frames(mixed[:3] + [mixed[0][:100]])) <= 3


@pytest.mark.slow
def test_a_folder_with_strays_calibrates_the_main_view(mixed, tmp_path, capsys):
    folder = tmp_path / "stills"
    folder.mkdir()
    for i, frame in enumerate(mixed):
        cv2.imwrite(str(folder / f"{i}.png"), frame)
    out, overlay = tmp_path / "cal.json", tmp_path / "overlay.png"
    assert main(["calibrate", str(folder), "--out", str(out), "--overlay", str(overlay)]) == 0
    assert "3 of another view left out" in capsys.readouterr().out
    cal = Calibration.load(out)
    # Which goal is -x is a convention without the teams' sides given: either pose will do.
    err = min((pose_error(c, CASES[MAIN][1]) for c in (cal.camera, turned_around(cal.camera))),
              key=lambda e: e.position_mm)
    assert err.position_mm < 20.0 and err.rotation_deg < 0.2 and abs(err.focal_percent) < 1.5, err
    assert cal.reprojection_error < 1.0
    # The overlay is drawn on the main view: it looks like the main view's median there.
    drawn = cv2.imread(str(overlay)).astype(np.float32)
    assert np.median(np.abs(drawn - np.median(np.stack(main_view_frames(mixed)), axis=0))) < 3
