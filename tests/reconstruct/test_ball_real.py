"""Ball precision and recall on real labelled stills (skipped when the data is absent).

The stills live outside the repository (``shared/data/real/leonhart-02`` beside the checkout,
or where ``FOOSBALL_REAL_DATA`` points); nothing from them is committed.
"""

import os
from pathlib import Path

import pytest

from reconstruct.ball_eval import evaluate_stills, precision_recall, record_results, split
from reconstruct.ball_folder import FOLDER_THRESHOLD

_REPO = Path(__file__).resolve().parents[2]
_CANDIDATES = [Path(os.environ["FOOSBALL_REAL_DATA"])] if "FOOSBALL_REAL_DATA" in os.environ \
    else []
_CANDIDATES += [p / "shared" / "data" / "real" for p in (_REPO.parent, _REPO.parent.parent)]
DATA = next((p / "leonhart-02" for p in _CANDIDATES if (p / "leonhart-02" / "frames").is_dir()),
            None)

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(DATA is None, reason="real stills not available")]


@pytest.fixture(scope="module")
def results():
    return evaluate_stills(DATA)


def test_real_stills_no_worse_than_measured(results):
    # the level reached with the folder background and the ball colour learned from the
    # folder (all 289: precision 0.949, recall 0.904; odd files, held out from the tuning:
    # 0.939, 0.903): a floor against regressions while the target below is open
    pr = precision_recall(results, threshold=FOLDER_THRESHOLD)
    assert pr["precision"] >= 0.93 and pr["recall"] >= 0.89, pr
    held_out = precision_recall(split(results, "odd"), threshold=FOLDER_THRESHOLD)
    assert held_out["precision"] >= 0.92 and held_out["recall"] >= 0.88, held_out


@pytest.mark.xfail(strict=True, reason="target precision 0.95 / recall 0.90 not reached on the "
                   "held-out (odd) stills: precision 0.939, recall 0.903 (all 289: 0.949, "
                   "0.904); false alarms are mostly fast blurred balls the labels leave out, a "
                   "black man's chrome and a still of another camera (foosball track, with its "
                   "calibration, meets the target: test_tracked_stills_reach_the_target); see "
                   "python -m reconstruct.ball_eval and docs/evaluation.md")
def test_real_stills_precision_recall(results):
    held_out = precision_recall(split(results, "odd"), threshold=FOLDER_THRESHOLD)
    assert held_out["precision"] >= 0.95 and held_out["recall"] >= 0.90, held_out
    pr = precision_recall(results, threshold=FOLDER_THRESHOLD)
    assert pr["precision"] >= 0.95 and pr["recall"] >= 0.90, pr


@pytest.fixture(scope="module")
def tracked(tmp_path_factory):
    """``foosball track`` on the stills (its own automatic calibration), scored."""
    from reconstruct.cli import main

    out = tmp_path_factory.mktemp("tracked")
    with pytest.warns(UserWarning, match="another view"):  # the broadcast's other cameras
        assert main(["track", str(DATA / "frames"), "--out", str(out), "--quiet"]) == 0
    return record_results(DATA, out)


def test_tracked_stills_reach_the_target(tracked):
    # issue 5's target, met through foosball track (its calibration places the playfield and
    # the ball's size, and leaves the goal mouths and the other cameras' stills out): on the
    # held-out (odd) stills precision 0.979, recall 0.922; all 289: 0.974, 0.904
    held_out = precision_recall(split(tracked, "odd"), threshold=FOLDER_THRESHOLD)
    assert held_out["precision"] >= 0.95 and held_out["recall"] >= 0.90, held_out
    pr = precision_recall(tracked, threshold=FOLDER_THRESHOLD)
    assert pr["precision"] >= 0.95 and pr["recall"] >= 0.90, pr
