"""The filming commands of the CLI."""

import json

import pytest

from reconstruct.cli import main


def test_footage_command_writes_video_and_record(tmp_path, capsys):
    out = tmp_path / "clip"
    code = main(["footage", "--script", "roll", "--seconds", "0.05", "--scenario", "colours",
                 "--width", "160", "--height", "120", "--out", str(out)])
    assert code == 0
    meta = json.loads((out / "meta.json").read_text())
    assert meta["scenario"]["key"] == "colours@1" and meta["scenario"]["modified"]
    assert meta["camera"]["width"] == 160 and (out / "video.mp4").stat().st_size > 0
    assert "colours@1" in capsys.readouterr().out


@pytest.mark.parametrize("argv, message", [
    (["--scenario", "sunny"], "unknown scenario"),
    (["--exposure", "0.5"], "exposure"),
    (["--ball-colour", "plaid"], "unknown colour"),
])
def test_bad_options_give_one_line(tmp_path, capsys, argv, message):
    code = main(["footage", "--out", str(tmp_path / "x"), *argv])
    err = capsys.readouterr().err.strip()
    assert code == 2 and message in err and "\n" not in err


def test_simulate_video_takes_fps_table_and_teams_from_the_scenario():
    from reconstruct.cli import _resolve_shot, build_parser

    args = build_parser().parse_args(["simulate", "--out", "x", "--video", "--scenario",
                                      "tornado", "--exposure", "0.001"])
    _resolve_shot(args)
    assert args.table == "tornado" and args.fps == 120.0
    assert args.teams == ["yellow", "black"] and args.shot.camera.exposure == 0.001
    args = build_parser().parse_args(["simulate", "--out", "x", "--video", "--scenario",
                                      "fps240", "--fps", "200"])
    _resolve_shot(args)
    assert args.fps == 200.0 and args.shot.camera.fps == 200.0
    args = build_parser().parse_args(["simulate", "--out", "x"])
    _resolve_shot(args)
    assert args.shot is None and args.fps == 120.0 and args.table == "german"
