"""Ball precision and recall on real labelled stills (skipped when the data is absent).

The stills live outside the repository (``shared/data/real/leonhart-02`` beside the checkout,
or where ``FOOSBALL_REAL_DATA`` points); nothing from them is committed.
"""

import os
from pathlib import Path

import pytest

from reconstruct.ball_eval import evaluate_stills, precision_recall, split
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
                   "black man's chrome and a still of another camera; see python -m "
                   "reconstruct.ball_eval and docs/evaluation.md")
def test_real_stills_precision_recall(results):
    held_out = precision_recall(split(results, "odd"), threshold=FOLDER_THRESHOLD)
    assert held_out["precision"] >= 0.95 and held_out["recall"] >= 0.90, held_out
    pr = precision_recall(results, threshold=FOLDER_THRESHOLD)
    assert pr["precision"] >= 0.95 and pr["recall"] >= 0.90, pr
