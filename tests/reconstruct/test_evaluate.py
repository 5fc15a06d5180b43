import json
import math

import pytest

from reconstruct.cli import main
from reconstruct.evaluate import evaluate
from reconstruct.metrics import format_headline_table, score_speed
from sim.record import RecordError
from tests.reconstruct.records import FPS, estimate_from, goal, kick, truth_rows, write


def _pair(tmp_path, table, n=60, est_rows=None, est_events=(), est_meta=None, **truth_meta):
    truth = truth_rows(table, n=n)
    write(tmp_path / "truth", table, truth,
          events=[goal(30, "red"), kick(10, 3, "red"), kick(40, 4, "blue")], **truth_meta)
    est = est_rows if est_rows is not None else estimate_from(truth, dx=0.003)
    write(tmp_path / "est", table, est, events=est_events, truth=False, **(est_meta or {}))
    return tmp_path / "truth", tmp_path / "est"


def test_evaluate_scores_a_pair_of_directories(tmp_path, german):
    timing = {"frames": 60, "decode_s": 0.01, "track_s": 0.02, "realtime_fps": FPS}
    t, e = _pair(tmp_path, german, est_events=[goal(31, "red"), kick(10, 2), kick(42, 4)],
                 est_meta={"timing": timing})
    rep = evaluate(t, e)
    assert rep.frames == 60 and rep.fps == FPS
    assert rep.ball.detection.scores.error_mm.median == pytest.approx(3.0, abs=2e-3)
    assert rep.events["goal"].matched == 1 and rep.events["kick"].matched == 1
    assert rep.speed.fps_track == pytest.approx(3000.0)
    assert rep.speed.fps_total == pytest.approx(2000.0)
    assert rep.speed.realtime_factor == pytest.approx(2000.0 / FPS)
    row = rep.headline("rolling")
    assert (row.f1, row.goal_precision, row.kick_recall) == (1.0, 1.0, 0.5)
    assert row.fps == pytest.approx(2000.0)
    table = format_headline_table([row])
    assert table.splitlines()[1].startswith("rolling") and "2000" in table
    text = rep.format_text()
    assert "detection" in text and "amodal" in text and "rod" in text
    json.dumps(rep.to_dict(), allow_nan=False)  # NaN would not be valid JSON


@pytest.mark.parametrize("change, message", [
    ({"n": 58}, "truth has 60 frames at 120 fps, estimate 58 at 120 fps"),
    ({"fps": 60.0}, "truth has 60 frames at 120 fps, estimate 60 at 60 fps"),
    ({"drop": "rod4_angle"}, "estimate lacks rod4_angle"),
    ({"drop_truth": "ball_visibility"}, "truth lacks ball_visibility"),
    ({"table": True}, "truth is on table 'german', estimate on 'tornado'"),
])
def test_incomparable_records_are_rejected(tmp_path, german, tornado, change, message):
    truth = truth_rows(german, n=60)
    if "drop_truth" in change:
        for r in truth:
            r.pop(change["drop_truth"])
    write(tmp_path / "truth", german, truth)
    if "drop_truth" in change:  # rewrite the header without the column
        _drop_column(tmp_path / "truth" / "frames.csv", change["drop_truth"])
    est = estimate_from(truth_rows(german, n=change.get("n", 60)))
    write(tmp_path / "est", tornado if "table" in change else german, est, truth=False)
    if "fps" in change:
        meta = json.loads((tmp_path / "est" / "meta.json").read_text())
        meta["fps"] = change["fps"]
        (tmp_path / "est" / "meta.json").write_text(json.dumps(meta))
    if "drop" in change:
        _drop_column(tmp_path / "est" / "frames.csv", change["drop"])
    with pytest.raises(RecordError, match="cannot be compared") as err:
        evaluate(tmp_path / "truth", tmp_path / "est")
    assert message in str(err.value)


def _drop_column(path, column):
    lines = path.read_text().splitlines()
    i = lines[0].split(",").index(column)
    path.write_text("".join(",".join(c for j, c in enumerate(line.split(",")) if j != i) + "\n"
                            for line in lines))


def test_timing_block_is_checked():
    assert score_speed({}, FPS) is None
    s = score_speed({"timing": {"frames": 100, "track_s": 0.5}}, FPS)
    assert s.fps_track == 200.0 and math.isnan(s.fps_total) and s.source_fps == FPS
    with pytest.raises(RecordError, match="track_s must be a positive number"):
        score_speed({"timing": {"frames": 100, "track_s": 0}}, FPS)


def test_cli_evaluate_prints_and_writes_json(tmp_path, german, capsys):
    t, e = _pair(tmp_path, german)
    out = tmp_path / "scores.json"
    assert main(["evaluate", str(t), str(e), "--json", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "detection" in printed and "F1@10" in printed
    data = json.loads(out.read_text())
    assert data["format"] == "foosball-evaluation"
    assert data["ball"]["detection"]["scores"]["counts"]["10mm"]["tp"] == 60
    assert data["speed"] is None


def test_cli_evaluate_reports_incomparable_records_in_one_line(tmp_path, german, capsys):
    truth = truth_rows(german, n=10)
    write(tmp_path / "truth", german, truth)
    write(tmp_path / "est", german, estimate_from(truth[:8]), truth=False)
    assert main(["evaluate", str(tmp_path / "truth"), str(tmp_path / "est")]) == 2
    err = capsys.readouterr().err.strip()
    assert err == ("foosball evaluate: error: records cannot be compared: truth has 10 frames "
                   "at 120 fps, estimate 8 at 120 fps")
    assert main(["evaluate", str(tmp_path / "nothing"), str(tmp_path / "est")]) == 2
    assert "is not a record directory" in capsys.readouterr().err


def test_an_estimate_without_rods_scores_them_as_unknown(tmp_path, german):
    truth = truth_rows(german, n=20)
    est = estimate_from(truth)
    for r in est:
        for i in range(8):
            r[f"rod{i}_shift"] = r[f"rod{i}_angle"] = None
    t, e = _pair(tmp_path, german, n=20, est_rows=est)
    rep = evaluate(t, e)
    assert rep.rods.rods[4].coverage == 0.0 and rep.rods.shift_mm.n == 0
    assert math.isnan(rep.headline().shift_mae_mm)
    data = json.loads(json.dumps(rep.to_dict(), allow_nan=False))
    assert data["rods"]["angle_deg"]["mean"] is None
    assert " - " in format_headline_table([rep.headline("ball only")])
