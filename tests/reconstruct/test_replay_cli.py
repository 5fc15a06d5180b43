"""``foosball replay``: the command exports a video and explains bad input in one line."""

import cv2
import pytest

from reconstruct.cli import main
from reconstruct.replay_cli import parse_size
from tests.sim.replay_records import goal, write_record


@pytest.fixture(scope="module")
def record(tmp_path_factory, german):
    return write_record(tmp_path_factory.mktemp("cli") / "rec", german, frames=12,
                        events=[goal(6, "blue")])


def test_replay_export(tmp_path, record, capsys):
    out = tmp_path / "replay.mp4"
    code = main(["replay", str(record), "--compare", str(record), "--export", str(out),
                 "--size", "160x120", "--camera", "side", "--fps", "30"])
    assert code == 0
    printed = capsys.readouterr().out
    assert "6 frames" in printed and "frames/s" in printed
    cap = cv2.VideoCapture(str(out))
    assert (cap.get(cv2.CAP_PROP_FRAME_WIDTH), cap.get(cv2.CAP_PROP_FRAME_HEIGHT)) == (160, 120)


@pytest.mark.parametrize("args, message", [
    (["--speed", "8", "--export", "x.mp4"], "--speed must be in"),
    (["--size", "big", "--export", "x.mp4"], "--size takes WxH"),
    (["--fps", "30"], "--fps applies to --export only"),
])
def test_replay_bad_options(record, capsys, monkeypatch, args, message):
    monkeypatch.setenv("DISPLAY", ":99")  # so the window check is not what fails
    assert main(["replay", str(record), *args]) == 2
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1


def test_replay_without_display(record, capsys, monkeypatch):
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    assert main(["replay", str(record)]) == 2
    assert "--export" in capsys.readouterr().err


def test_replay_not_a_record(tmp_path, capsys):
    assert main(["replay", str(tmp_path / "none"), "--export", str(tmp_path / "x.mp4")]) == 2
    assert "not a record" in capsys.readouterr().err


def test_parse_size():
    assert parse_size("640x480", (1, 1)) == (640, 480)
    assert parse_size(None, (960, 540)) == (960, 540)
    with pytest.raises(ValueError):
        parse_size("10x10", (1, 1))
