"""Rod angles read from rendered footage (shaded men, true camera): no per-rod bias.

The renderer lights the men's tops and leaves the faces turned from the lamp darker; a
team mask that knew only one shade lost the faces an oblique line of sight sees, and read
every man swung away from the camera by 2-8 degrees (the sign following the rod's side of
the camera); and silhouettes predicted whole, against a mask that loses every edge pixel
blended with the field, favoured the angles that show a man shortest: again swung away
from the camera.
"""

import numpy as np
import pytest

pytest.importorskip("pyglet")


@pytest.fixture(scope="module")
def swinging_clip(tmp_path_factory):
    from sim.filming import film_scripted, make_shot

    out = tmp_path_factory.mktemp("rods")
    try:
        film_scripted(make_shot("clean"), out, script="rods", seconds=0.4, seed=1)
    except Exception as exc:  # no OpenGL context on this machine
        pytest.skip(f"cannot film: {exc}")
    return out


def test_single_frame_angles_have_no_bias_from_the_view(swinging_clip):
    from reconstruct.bench import truth_calibration
    from reconstruct.rods import RodReader
    from reconstruct.sources import VideoSource
    from reconstruct.track import MASK_EDGE_LOSS_PX, _team_mask_from
    from sim.record import read_record
    from sim.table import load_table

    truth = read_record(swinging_clip)
    table = load_table(truth.meta["table"]["name"])
    video = next(swinging_clip.glob("video.*"))
    cal = truth_calibration(swinging_clip, table, VideoSource(video).sample(8, 0.05))
    reader = RodReader(table, cal.camera, _team_mask_from(cal), edge_loss_px=MASK_EDGE_LOSS_PX)
    est = np.array([reader.read(f.image).angle for f in VideoSource(video)])
    true = truth.rod_angles[: len(est)]
    err = np.degrees((est - true + np.pi) % (2 * np.pi) - np.pi)
    bias = np.median(err, axis=0)  # (8,) deg, signed, per rod
    mae = np.abs(err).mean(axis=0)
    # was: biases 4.5 .. -5.0 (goalies worst), errors up to 4.2 (14.7 at one goalie)
    assert np.abs(bias).max() < 3.5, np.round(bias, 1)
    assert mae.max() < 3.2, np.round(mae, 1)
