import math

import numpy as np
import pytest

from reconstruct.cli import main
from sim.record import BASE_COLUMNS, TRUTH_COLUMNS, read_record, write_record
from sim.simulate import exposure_states, simulate
from sim.state import TableState


@pytest.fixture(scope="module")
def short_match(tmp_path_factory, german):
    out = tmp_path_factory.mktemp("rec") / "a"
    summary = simulate(german, out, seed=3, duration=4.0, fps=120)
    return out, summary


def test_same_seed_gives_the_same_record_byte_for_byte(short_match, german, tmp_path):
    out, _ = short_match
    again = tmp_path / "b"
    simulate(german, again, seed=3, duration=4.0, fps=120)
    for name in ("frames.csv", "events.csv"):
        assert (out / name).read_bytes() == (again / name).read_bytes()


def test_another_seed_gives_another_match(short_match, german, tmp_path):
    out, _ = short_match
    simulate(german, tmp_path / "c", seed=4, duration=4.0, fps=120)
    assert (out / "frames.csv").read_bytes() != (tmp_path / "c" / "frames.csv").read_bytes()


def test_the_match_does_not_depend_on_the_camera_rate(short_match, german, tmp_path):
    out, _ = short_match
    simulate(german, tmp_path / "d", seed=3, duration=4.0, fps=50)
    a, b = read_record(out), read_record(tmp_path / "d")

    def key(e):
        return (e.type, round(e.t, 6), e.team, e.rod, e.man, e.speed)

    assert [key(e) for e in a.events] == [key(e) for e in b.events]
    assert [e.frame for e in b.events] == [round(e.t * 50) for e in b.events]
    # frames at common instants hold the same state
    both = [i for i in range(b.n_frames) if (i * 120) % 50 == 0]
    for i in both:
        j = i * 120 // 50
        np.testing.assert_allclose(b.ball_xyz[i], a.ball_xyz[j], atol=1e-6)
        np.testing.assert_allclose(b.rod_angles[i], a.rod_angles[j], atol=1e-6)


def test_the_record_is_complete_and_round_trips(short_match, german, tmp_path):
    out, summary = short_match
    rec = read_record(out, require=(*BASE_COLUMNS, *TRUTH_COLUMNS))
    meta = rec.meta
    assert meta["complete"] and meta["source"] == "simulate" and meta["seed"] == 3
    assert meta["fps"] == 120 and meta["physics_rate"] == 1000
    assert meta["table"] == german.to_dict()
    assert [t["name"] for t in meta["teams"]] == ["red", "blue"]
    assert [r["team"] for r in meta["rods"]] == ["red" if r.side == 0 else "blue"
                                                 for r in german.rods]
    assert rec.n_frames == summary["frames"] == math.ceil(4.0 * 120)
    np.testing.assert_allclose(rec.t, np.arange(rec.n_frames) / 120, atol=1e-6)
    assert rec.events[0].type == "serve" and rec.events[0].frame == 0
    # in time order, though a soft touch is judged up to a contact's length after its time
    assert [e.t for e in rec.events] == sorted(e.t for e in rec.events)
    assert set(rec.ball_state) <= {"visible", "out"}
    assert not np.isnan(rec.ball_xyz).any()
    write_record(rec, tmp_path / "copy")
    again = read_record(tmp_path / "copy")
    for column in rec.frames:
        np.testing.assert_array_equal(again.frames[column], rec.frames[column])
    assert again.events == rec.events


def test_frames_interpolate_the_physics(short_match):
    rec = read_record(short_match[0])
    v = np.stack([rec.frames[c] for c in ("ball_vx", "ball_vy")], axis=1)
    moving = np.linalg.norm(v, axis=1) > 0.5
    i = np.flatnonzero(moving[:-1] & moving[1:])[:50]
    predicted = rec.ball_xyz[i, :2] + v[i] / 120
    step = np.linalg.norm(rec.ball_xyz[i + 1, :2] - predicted, axis=1)
    assert np.median(step) < 2e-3  # positions and velocities agree between frames


class FakeFilmer:
    exposure = 0.004

    def __init__(self):
        self.calls = []
        self.closed = False

    def film(self, frame, t, states):
        self.calls.append((frame, t, [s.t for s in states]))
        return {"ball_u": 100.0 + frame, "ball_v": 50.0, "ball_visibility": 0.5,
                "ball_state": "hidden" if frame % 2 else None}

    def meta(self):  # meta.json entries, as sim.footage.Footage gives them
        return {"camera": {"width": 640, "height": 480}, "video": {"file": "none"}}

    def close(self):
        self.closed = True


def test_a_filmer_gets_the_exposure_and_fills_in_columns(german, tmp_path):
    filmer = FakeFilmer()
    simulate(german, tmp_path / "f", seed=1, duration=0.5, fps=100, filmer=filmer)
    assert filmer.closed
    assert [c[0] for c in filmer.calls] == list(range(50))
    for frame, t, times in filmer.calls:
        assert t == pytest.approx(frame / 100)
        if frame > 0:
            assert times[0] == pytest.approx(t - 0.002) and times[-1] == pytest.approx(t + 0.002)
            assert np.all(np.diff(times) > 0) and len(times) >= 4
    rec = read_record(tmp_path / "f")
    assert rec.meta["camera"] == {"width": 640, "height": 480}
    assert rec.meta["video"] == {"file": "none"}
    np.testing.assert_allclose(rec.ball_uv[:, 0], 100.0 + np.arange(50))
    assert rec.ball_state[1] == "hidden" and rec.ball_state[2] == "visible"


def test_exposure_states_interpolate_the_ends():
    states = [TableState(k * 0.001, np.array([k, 0.0, 0.0]), np.zeros(3), np.zeros(8),
                         np.zeros(8)) for k in range(10)]
    out = exposure_states(states, 0.0025, 0.0055)
    assert [s.t for s in out] == pytest.approx([0.0025, 0.003, 0.004, 0.005, 0.0055])
    assert out[0].ball[0] == pytest.approx(2.5) and out[-1].ball[0] == pytest.approx(5.5)


@pytest.mark.parametrize("args, message", [
    (["--table", "nope"], "unknown table 'nope'"),
    (["--duration", "-1"], "--duration: must be positive"),
    (["--skill", "1.5", "0.5"], "skill must be between 0 and 1"),
    (["--teams", "red", "red"], "two different team names"),
])
def test_bad_arguments_give_a_one_line_error(tmp_path, capsys, args, message):
    with pytest.raises(SystemExit) if "--duration" in args else _no_exit():
        code = main(["simulate", "--out", str(tmp_path / "x"), *args])
        assert code == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1


def test_unwritable_output_is_a_one_line_error(tmp_path, capsys):
    blocker = tmp_path / "file"
    blocker.write_text("")
    assert main(["simulate", "--duration", "0.1", "--out", str(blocker / "rec")]) == 2
    err = capsys.readouterr().err
    assert "cannot write" in err and err.count("\n") == 1


def test_the_command_prints_a_summary(tmp_path, capsys):
    assert main(["simulate", "--seed", "2", "--duration", "1", "--fps", "60",
                 "--out", str(tmp_path / "r")]) == 0
    out = capsys.readouterr().out
    assert "wrote 60 frames" in out and "real time" in out and "kicks" in out
    assert read_record(tmp_path / "r").meta["complete"]


class _no_exit:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


@pytest.mark.slow
def test_a_minute_of_play_looks_like_foosball(german, tmp_path):
    s = simulate(german, tmp_path / "m", seed=0, duration=60.0, fps=60)
    assert sum(s["goals"].values()) >= 1
    assert s["kicks"] >= 30
    assert s["kick_speed_max"] >= 10.0
    assert s["off_playfield"] < 0.01
    assert s["serves"] >= 1 and s["walls"] >= 1
    rec = read_record(tmp_path / "m")  # no rod spun round a kick (ITSF: at most 360 deg)
    w = int(0.5 * rec.fps)
    for k in rec.events_of("kick"):
        a = rec.rod_angles[max(0, k.frame - w): k.frame + w + 1, k.rod]
        assert np.ptp(a) < 2.0 * math.pi, f"rod {k.rod} spun around the kick at {k.t:.2f} s"
