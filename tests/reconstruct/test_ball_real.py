"""Ball precision and recall on real labelled stills (skipped when the data is absent)."""

from pathlib import Path

import pytest

from reconstruct.ball_eval import evaluate_stills, precision_recall

DATA = Path(__file__).resolve().parents[3] / "shared" / "data" / "real" / "leonhart-02"


@pytest.mark.slow
@pytest.mark.skipif(not (DATA / "frames").is_dir(), reason="real stills not available")
@pytest.mark.xfail(strict=True, reason="target precision 0.95 / recall 0.90 not reached yet: "
                   "see python -m reconstruct.ball_eval")
def test_real_stills_precision_recall():
    results = evaluate_stills(DATA)
    pr = precision_recall(results, threshold=0.5)
    assert pr["precision"] >= 0.95 and pr["recall"] >= 0.90, pr
