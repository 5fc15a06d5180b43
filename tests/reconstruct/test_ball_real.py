"""Ball precision and recall on real labelled stills (skipped when the data is absent).

The stills live outside the repository (``shared/data/real/leonhart-02`` beside the checkout,
or where ``FOOSBALL_REAL_DATA`` points); nothing from them is committed.
"""

import os
from pathlib import Path

import pytest

from reconstruct.ball_eval import evaluate_stills, precision_recall
from reconstruct.ball_still import STILL_THRESHOLD

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
    # the level reached (precision 0.99, recall 0.44 at the detection threshold): a floor
    # against regressions while the target below is open
    pr = precision_recall(results, threshold=STILL_THRESHOLD)
    assert pr["precision"] >= 0.95 and pr["recall"] >= 0.40, pr


@pytest.mark.xfail(strict=True, reason="target precision 0.95 / recall 0.90 not reached yet: "
                   "balls half hidden under men or shaded score below look-alikes; see "
                   "python -m reconstruct.ball_eval")
def test_real_stills_precision_recall(results):
    pr = precision_recall(results, threshold=STILL_THRESHOLD)
    assert pr["precision"] >= 0.95 and pr["recall"] >= 0.90, pr
