"""The main job end to end on a short match: every product is written and readable."""

import json
from pathlib import Path

import cv2

from reconstruct.demo import DemoSettings, run_demo
from sim.record import read_record


def test_demo_writes_every_product(tmp_path):
    r = run_demo(tmp_path, DemoSettings(seed=3, duration=2.0, replay_size=(320, 180)))
    truth = read_record(r["truth"])
    tracked = read_record(r["tracked"])
    n = len(truth.frames["frame"])
    assert len(tracked.frames["frame"]) == n > 200
    replay = cv2.VideoCapture(r["replay"])
    assert int(replay.get(cv2.CAP_PROP_FRAME_COUNT)) == n
    assert (int(replay.get(cv2.CAP_PROP_FRAME_WIDTH)),
            int(replay.get(cv2.CAP_PROP_FRAME_HEIGHT))) == (320, 180)
    for key in ("calibration_overlay", "evaluation", "stats_report", "stats_json"):
        assert Path(r[key]).exists(), key
    doc = json.loads((tmp_path / "demo.json").read_text())
    assert doc["headline"]["f1"] is not None and 0.0 <= doc["headline"]["f1"] <= 1.0
    assert doc["calibration"]
