import json

import numpy as np
import pytest

from sim.record import (
    BASE_COLUMNS,
    TRUTH_COLUMNS,
    Event,
    RecordError,
    RecordWriter,
    read_record,
    rods_meta,
    teams_meta,
    write_record,
)


def _meta(table):
    names = ("red", "blue")
    return {"fps": 120.0, "table": table.to_dict(), "rods": rods_meta(table, names),
            "teams": teams_meta(names)}


def _write_sample(path, table, n=5):
    with RecordWriter(path, _meta(table), extra_columns=TRUTH_COLUMNS) as w:
        for i in range(n):
            row = {"t": i / 120, "ball_x": 0.001 * i, "ball_y": -0.002 * i, "ball_z": 0.0175,
                   "ball_u": 320.25 + i, "ball_v": 240.5, "ball_state": "visible",
                   "ball_visibility": 1.0, "ball_blur_px": 0.5}
            if i == 2:
                row.update(ball_u=None, ball_v=None, ball_state="hidden")
            for r in range(8):
                row[f"rod{r}_shift"] = 0.01 * r
                row[f"rod{r}_angle"] = -0.1 * r + 2 * np.pi * (i == 4)
            w.write_frame(row)
        w.write_event(Event(frame=0, t=0.0, type="serve"))
        w.write_event(Event(frame=3, t=0.025, type="kick", team="red", rod=3, man=2, speed=7.5))
        w.write_event(Event(frame=4, t=4 / 120, type="goal", team="blue"))


def test_record_round_trips(tmp_path, german):
    _write_sample(tmp_path / "a", german)
    rec = read_record(tmp_path / "a")
    assert rec.n_frames == 5 and rec.meta["complete"] and rec.meta["frames"] == 5
    assert list(rec.frames)[: len(BASE_COLUMNS)] == list(BASE_COLUMNS)
    assert np.isnan(rec.ball_uv[2]).all() and rec.ball_state[2] == "hidden"
    assert rec.rod_angles[4, 1] == pytest.approx(2 * np.pi - 0.1, abs=1e-6)
    assert [e.type for e in rec.events] == ["serve", "kick", "goal"]
    assert rec.events[1].rod == 3 and rec.events[1].speed == pytest.approx(7.5)
    assert rec.events[0].rod is None
    write_record(rec, tmp_path / "b")
    for name in ("frames.csv", "events.csv"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()
    assert json.loads((tmp_path / "b" / "meta.json").read_text()) == rec.meta


def test_a_crash_keeps_what_was_written(tmp_path, german):
    with pytest.raises(RuntimeError):
        with RecordWriter(tmp_path / "r", _meta(german)) as w:
            w.write_frame({"t": 0.0, "ball_state": "out"})
            w.write_frame({"t": 1 / 120, "ball_state": "out"})
            raise RuntimeError("boom")
    rec = read_record(tmp_path / "r")
    assert rec.n_frames == 2
    assert rec.meta["complete"] is False and "boom" in rec.meta["error"]


def test_a_truncated_last_line_is_dropped(tmp_path, german):
    _write_sample(tmp_path / "a", german)
    path = tmp_path / "a" / "frames.csv"
    path.write_text(path.read_text()[:-15])
    assert read_record(tmp_path / "a").n_frames == 4


def test_missing_columns_and_files_are_clear_errors(tmp_path, german):
    with pytest.raises(RecordError, match="not a record directory"):
        read_record(tmp_path / "none")
    _write_sample(tmp_path / "a", german)
    with pytest.raises(RecordError, match="lacks columns: nope"):
        read_record(tmp_path / "a", require=("frame", "nope"))
    (tmp_path / "a" / "meta.json").unlink()
    with pytest.raises(RecordError, match="meta.json is missing"):
        read_record(tmp_path / "a")


def test_unwritable_output_is_a_clear_error(tmp_path, german):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(RecordError, match="cannot write"):
        RecordWriter(blocker / "rec", _meta(german))


def test_negative_zero_is_written_as_zero(tmp_path, german):
    with RecordWriter(tmp_path / "z", _meta(german)) as w:
        w.write_frame({"t": 0.0, "ball_x": -1e-12, "ball_state": "out"})
    assert ",0.000000," in (tmp_path / "z" / "frames.csv").read_text().splitlines()[1]


def test_the_writers_cell_formatter_writes_what_format_value_does():
    """Every kind of value a row may hold: the writers' per-column formatter gives
    ``format_value``'s text, byte for byte."""
    from sim.record import EVENT_COLUMNS, cell_formatter, format_value

    values = [None, "", "visible", 0, 7, -3, True, 0.0, -0.0, 1.5, -1e-7, -4e-4, 2.5e-7,
              -0.0004999, 123456.789, float("nan"), float("inf"), -float("inf"),
              np.float64(-1e-9), np.float32(0.25), np.int64(42), np.nan, 1e300]
    for column in (*BASE_COLUMNS, *TRUTH_COLUMNS, *EVENT_COLUMNS, "source", "ball_score"):
        cell = cell_formatter(column)
        for v in values:
            try:
                want = format_value(column, v)
            except (ValueError, OverflowError) as exc:  # NaN or infinity as an integer
                with pytest.raises(type(exc)):
                    cell(v)
                continue
            assert cell(v) == want, (column, v)
