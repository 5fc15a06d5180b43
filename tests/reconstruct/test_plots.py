import cv2
import pytest

from reconstruct.evaluate import compare
from reconstruct.plots import plot_error_against, plot_report
from tests.reconstruct.records import estimate_from, truth_rows, write


def test_plots_are_written_as_pngs(tmp_path, german):
    truth = truth_rows(german, n=50)
    for i, r in enumerate(truth):
        r.update(ball_visibility=i / 49, ball_vx=0.3 * i)
    t = write(tmp_path / "t", german, truth)
    e = write(tmp_path / "e", german, estimate_from(truth, dx=0.004), truth=False)
    paths = plot_report(compare(t, e), tmp_path / "plots")
    assert [p.name for p in paths] == ["error_vs_visibility.png", "error_vs_speed.png",
                                       "rods.png"]
    for p in paths:
        image = cv2.imread(str(p))
        assert image is not None and image.shape[0] > 300 and image.shape[1] > 600
        assert image.std() > 10  # something is drawn


def test_plots_survive_a_clip_without_ball_in_play(tmp_path, german):
    truth = truth_rows(german, n=10)
    for r in truth:
        r.update(ball_state="out", ball_visibility=0.0)
    t = write(tmp_path / "t", german, truth)
    e = write(tmp_path / "e", german, estimate_from(truth), truth=False)
    assert len(plot_report(compare(t, e), tmp_path / "plots")) == 3
    with pytest.raises(ValueError, match="use visibility or speed"):
        plot_error_against(compare(t, e).ball.frames, "blur", tmp_path / "x.png")
