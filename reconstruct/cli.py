"""The ``foosball`` command: a thin layer over plain functions.

Each subcommand parses its arguments here and calls one function of the package that does
the work; heavy modules are imported only when their subcommand runs. Errors a user can fix
(a bad argument, a missing file, unreadable input) print one line and exit with status 2;
set ``FOOSBALL_DEBUG=1`` to see the traceback.
"""

from __future__ import annotations

import argparse
import os
import sys


class _Parser(argparse.ArgumentParser):
    """argparse with one-line errors: ``foosball simulate: error: ...`` and exit status 2."""

    def error(self, message: str):
        self.exit(2, f"{self.prog}: error: {message.splitlines()[0]}\n")


def _positive(kind):
    def parse(text: str):
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
        if value <= 0:
            raise argparse.ArgumentTypeError(f"must be positive, got {text}")
        return value

    return parse


def _add_simulate(sub) -> None:
    p = sub.add_parser("simulate", help="simulate a match and write its ground-truth record")
    p.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    p.add_argument("--duration", type=_positive(float), default=60.0,
                   help="match length limit, s (default 60)")
    p.add_argument("--goals", type=_positive(int), default=None,
                   help="end the match after this many goals (default: play the whole duration)")
    p.add_argument("--fps", type=_positive(float), default=None,
                   help="camera frame rate of the record (default 120, or the scenario's "
                        "with --video)")
    p.add_argument("--table", default=None,
                   help="table name or JSON file (default german, or the scenario's)")
    p.add_argument("--skill", type=float, nargs=2, default=(0.7, 0.7), metavar=("S0", "S1"),
                   help="skill of the team defending -x and of the team defending +x, 0..1")
    p.add_argument("--teams", nargs=2, default=None, metavar=("NAME0", "NAME1"),
                   help="team colours (names), side 0 then side 1 (default red blue)")
    p.add_argument("--out", required=True, help="output record directory")
    p.add_argument("--video", action="store_true",
                   help="also film the match: video.mp4 (or .avi) beside the record, with "
                        "the camera's ground truth in frames.csv")
    _add_camera_options(p)
    p.set_defaults(func=_run_simulate)


def _run_simulate(args) -> int:
    from sim.simulate import simulate_cli

    _resolve_shot(args)
    return simulate_cli(args)


def _add_camera_options(p) -> None:
    """Options choosing the filming camera and the look: a scenario and overrides."""
    g = p.add_argument_group("camera and look (with --video; each overrides the scenario)")
    g.add_argument("--scenario", default="clean",
                   help="filming scenario (sim/scenarios.py; default clean)")
    g.add_argument("--width", type=_positive(int), help="image width, px")
    g.add_argument("--height", type=_positive(int), help="image height, px")
    g.add_argument("--exposure", type=_positive(float), help="shutter time, s (<= 1/fps)")
    g.add_argument("--hfov", type=_positive(float), help="horizontal field of view, degrees")
    g.add_argument("--cam-height", type=_positive(float), help="camera above the field, m")
    g.add_argument("--tilt", type=float, help="optical axis from vertical, degrees")
    g.add_argument("--yaw", type=float, help="image turned about the vertical, degrees")
    g.add_argument("--roll", type=float, help="image turned about the optical axis, degrees")
    g.add_argument("--look-at", type=float, nargs=2, metavar=("X", "Y"),
                   help="field point the camera aims at, m (off-centre camera)")
    g.add_argument("--dist", type=float, nargs=5, metavar=("K1", "K2", "P1", "P2", "K3"),
                   help="lens distortion, OpenCV coefficients")
    g.add_argument("--illuminance", type=_positive(float),
                   help="light level, 1/s (exposure x illuminance = 1 fills white)")
    g.add_argument("--gain", type=_positive(float), help="sensor gain (default automatic)")
    g.add_argument("--full-well", type=float, help="electrons at full white (0: no noise)")
    g.add_argument("--read-noise", type=float, help="read noise, electrons")
    g.add_argument("--white-balance", type=_positive(float), nargs=3, metavar=("R", "G", "B"),
                   help="white balance gains")
    g.add_argument("--vignetting", type=float, help="brightness lost in the corners, 0..1")
    g.add_argument("--softness", type=float, help="optics blur, px (0: none)")
    g.add_argument("--flicker", type=float, nargs=2, metavar=("HZ", "DEPTH"),
                   help="mains frequency (50, 60) and depth (0..1) of lamp flicker")
    g.add_argument("--codec", choices=("mp4v", "mjpg"), help="video codec")
    g.add_argument("--quality", type=int, help="MJPEG quality 1..100")
    g.add_argument("--noise-seed", type=int, help="seed of the sensor noise")
    g.add_argument("--ball-colour", help="ball colour: white, yellow, orange, ... or #rrggbb")
    g.add_argument("--light-height", type=_positive(float), help="lamp above the field, m")
    g.add_argument("--light-radius", type=_positive(float), help="lamp radius, m (softness)")
    g.add_argument("--ambient", type=float, help="share of diffuse room light, 0..1")
    g.add_argument("--no-hands", action="store_true", help="no hands at the handles")
    g.add_argument("--no-floor", action="store_true", help="no floor or players around")


def _shot_from_args(args):
    from sim.filming import make_shot

    flicker = getattr(args, "flicker", None) or (None, None)
    camera = {
        "width": args.width, "height_px": args.height, "fps": getattr(args, "fps", None),
        "exposure": args.exposure, "hfov_deg": args.hfov, "height": args.cam_height,
        "tilt_deg": args.tilt, "yaw_deg": args.yaw, "roll_deg": args.roll,
        "look_at": args.look_at, "dist": args.dist, "illuminance": args.illuminance,
        "gain": args.gain, "full_well": args.full_well, "read_noise": args.read_noise,
        "white_balance": args.white_balance, "vignetting": args.vignetting,
        "softness": args.softness, "flicker_hz": flicker[0], "flicker_depth": flicker[1],
        "codec": args.codec, "quality": args.quality, "seed": args.noise_seed,
    }
    look = {"ball": args.ball_colour, "light_height": args.light_height,
            "light_radius": args.light_radius, "ambient": args.ambient,
            "hands": False if args.no_hands else None,
            "floor_visible": False if args.no_floor else None}
    return make_shot(args.scenario, getattr(args, "table", None), getattr(args, "teams", None),
                     camera, look)


def _resolve_shot(args) -> None:
    """Fill in what the scenario decides (fps, table, teams) and attach ``args.shot`` (None
    without --video)."""
    args.shot = None
    if getattr(args, "video", False):
        args.shot = _shot_from_args(args)
        args.fps = args.shot.camera.fps
        args.table = args.shot.table
        args.teams = list(args.shot.look.teams)
    if args.fps is None:
        args.fps = 120.0
    if args.table is None:
        args.table = "german"


def _add_footage(sub) -> None:
    p = sub.add_parser("footage", help="film a scripted table motion (no physics): video and "
                       "ground-truth record")
    p.add_argument("--script", default="match",
                   help="still, roll, shot, under_man, rods or match (default match)")
    p.add_argument("--seconds", type=_positive(float), default=1.0, help="clip length, s")
    p.add_argument("--seed", type=int, default=0, help="seed of the scripted motion")
    p.add_argument("--fps", type=_positive(float), default=None, help="frame rate")
    p.add_argument("--table", default=None, help="table name or JSON file")
    p.add_argument("--teams", nargs=2, default=None, metavar=("NAME0", "NAME1"),
                   help="team colours, side 0 then side 1")
    p.add_argument("--out", required=True, help="output record directory")
    _add_camera_options(p)
    p.set_defaults(func=_run_footage)


def _run_footage(args) -> int:
    from sim.filming import film_scripted

    shot = _shot_from_args(args)
    out = film_scripted(shot, args.out, args.script, args.seconds, args.seed)
    print(f"wrote {out} ({shot.scenario.key}, {shot.camera.width}x{shot.camera.height_px} at "
          f"{shot.camera.fps:g} fps)")
    return 0


def _add_render_bench(sub) -> None:
    p = sub.add_parser("render-bench", help="print synthetic footage throughput (frames/s, "
                       "encoding included); run under `taskset -c 0` for one core")
    p.add_argument("--frames", type=_positive(int), default=240, help="frames per size")
    p.add_argument("--script", default="match", help="scripted motion (default match)")
    p.add_argument("--sizes", nargs="+", default=["640x480", "1280x720"],
                   help="image sizes WxH (default 640x480 1280x720)")
    p.add_argument("--fps", type=_positive(float), default=None, help="camera frame rate")
    p.add_argument("--table", default=None, help="table name or JSON file")
    p.add_argument("--teams", nargs=2, default=None, metavar=("NAME0", "NAME1"))
    _add_camera_options(p)
    p.set_defaults(func=_run_render_bench)


def _run_render_bench(args) -> int:
    from sim.filming import bench_environment, bench_sizes

    sizes = []
    for text in args.sizes:
        try:
            w, h = (int(v) for v in text.lower().split("x"))
        except ValueError:
            raise ValueError(f"--sizes takes WxH like 640x480, got {text!r}") from None
        sizes.append((w, h))
    shot = _shot_from_args(args)
    env = bench_environment()
    print(f"render-bench: scenario {shot.scenario.key}, script {args.script}, "
          f"cpus {env['cpus']}, LP_NUM_THREADS={env['LP_NUM_THREADS']}, "
          f"load {env['load_average']}")
    for result in bench_sizes(sizes, shot, args.frames, args.script):
        print(result.line())
    return 0


def _add_calibrate(sub) -> None:
    p = sub.add_parser("calibrate", help="calibrate the camera from footage of the table")
    p.add_argument("input", help="video file, folder of images, or one image")
    p.add_argument("--table", default="german", help="table name or JSON file (default german)")
    p.add_argument("--out", default=None, help="write the calibration to this JSON file")
    p.add_argument("--overlay", default=None,
                   help="write the table drawn over the footage to this PNG")
    p.add_argument("--points", default=None,
                   help="calibrate from this file of clicked points instead (docs/calibration.md)")
    p.add_argument("--frames", type=_positive(int), default=30,
                   help="frames to sample from the input (default 30)")
    _add_ball(p)
    p.set_defaults(func=_run_calibrate)


def _add_ball(p) -> None:
    p.add_argument("--ball", default=None, choices=("white", "yellow", "orange"),
                   help="the ball's colour (default: found in the footage; white if unseen)")


def _run_calibrate(args) -> int:
    from reconstruct.calibrate import calibrate_cli

    return calibrate_cli(args)


def _add_evaluate(sub) -> None:
    p = sub.add_parser("evaluate", help="score a reconstruction against its ground truth")
    p.add_argument("truth", metavar="TRUTH_DIR", help="ground-truth record directory")
    p.add_argument("estimate", metavar="ESTIMATE_DIR", help="reconstructed record directory")
    p.add_argument("--json", metavar="FILE", default=None,
                   help="also write every figure to this JSON file")
    p.add_argument("--plots", metavar="DIR", default=None,
                   help="also draw the error plots (PNG) into this directory")
    p.set_defaults(func=_run_evaluate)


def _run_evaluate(args) -> int:
    from reconstruct.evaluate import evaluate_cli

    return evaluate_cli(args)


def _add_stats(sub) -> None:
    p = sub.add_parser("stats", help="game statistics of a record: score, shots, passes, "
                       "possession, heatmap, rule checks")
    p.add_argument("record", help="a record directory (truth or reconstruction)")
    p.add_argument("--out", default=None, help="folder for the pictures (default RECORD/stats)")
    p.add_argument("--html", default=None, help="HTML report (default OUT/report.html)")
    p.add_argument("--json", default=None, help="figures as JSON (default OUT/stats.json)")
    p.set_defaults(func=_run_stats)


def _run_stats(args) -> int:
    from reconstruct.stats_report import stats_cli

    return stats_cli(args)


def _add_replay(sub) -> None:
    p = sub.add_parser("replay", help="replay a record in 3D: a window, or a video with "
                       "--export (docs/replay.md)")
    p.add_argument("record", help="a record directory (truth or reconstruction)")
    p.add_argument("--compare", metavar="OTHER_RECORD", default=None,
                   help="draw this record too, as a translucent ghost (truth against "
                        "reconstruction)")
    p.add_argument("--export", metavar="FILE.mp4", default=None,
                   help="render headless to this video (.mp4 or .avi) instead of a window")
    p.add_argument("--fps", type=_positive(float), default=None,
                   help="video frame rate (default: the record's, one frame per record frame)")
    p.add_argument("--camera", default="overhead",
                   choices=("overhead", "side", "goal", "follow"),
                   help="camera preset (default overhead)")
    p.add_argument("--speed", type=_positive(float), default=1.0,
                   help="playback speed 0.1..4 (default 1; an export below 1 is slow motion)")
    p.add_argument("--size", default=None, metavar="WxH",
                   help="video or window size (default 960x540 for a video, 1280x720 for "
                        "a window)")
    p.add_argument("--physics", action="store_true",
                   help="replay the record lifted into the simulator's physics: hidden spans "
                        "filled by the physics, the ball kept out of men and walls "
                        "(docs/physreplay.md)")
    p.set_defaults(func=_run_replay)


def _run_replay(args) -> int:
    from reconstruct.replay_cli import replay_cli

    return replay_cli(args)


def _add_physics_replay(sub) -> None:
    p = sub.add_parser("physics-replay", help="lift a record into the simulator's physics and "
                       "write the replayed record (docs/physreplay.md)")
    p.add_argument("record", help="a record directory (truth or reconstruction)")
    p.add_argument("--out", required=True, help="output record directory")
    p.set_defaults(func=_run_physics_replay)


def _run_physics_replay(args) -> int:
    from reconstruct.replay_cli import physics_replay_cli

    return physics_replay_cli(args)


def _add_track(sub) -> None:
    p = sub.add_parser("track", help="track a video, a live camera or a folder of stills into "
                       "a game record")
    p.add_argument("input", help="video file, folder of images, or camera index (with --live)")
    p.add_argument("--out", required=True, help="output record directory")
    p.add_argument("--table", default="german", help="table name or JSON file (default german)")
    p.add_argument("--calibration", default=None,
                   help="calibration JSON (saved by foosball calibrate/track, or clicked "
                        "points: see docs/calibration.md); default: automatic")
    p.add_argument("--teams", nargs=2, default=None, metavar=("NAME0", "NAME1"),
                   help="colours of the team defending -x and of the team defending +x "
                        "(default: the +x goal is on the right or bottom of the image)")
    p.add_argument("--live", action="store_true", help="INPUT is a camera index: track live")
    p.add_argument("--max-frames", type=_positive(int), default=None,
                   help="stop after this many frames")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    _add_ball(p)
    p.set_defaults(func=_run_track)


def _run_track(args) -> int:
    from reconstruct.track import track_cli

    return track_cli(args)


def _add_bench(sub) -> None:
    p = sub.add_parser("bench", help="benchmark the tracker: film simulated matches per "
                       "scenario, track them, score them against the truth")
    p.add_argument("--suite", default="quick", choices=("quick", "full"),
                   help="quick: a few seconds per scenario, plus a short match with a pinned "
                        "ball and a goal; full: a minute per scenario (default quick)")
    p.add_argument("--scenario", action="append", default=None,
                   help="run only this scenario (repeatable)")
    p.add_argument("--calibration", default="auto", choices=("auto", "truth"),
                   help="auto: calibrate as a user would; truth: the true camera")
    p.add_argument("--out", default="out/bench", help="tracker outputs and plots")
    p.add_argument("--cache", default="cache", help="footage cache (default ./cache)")
    p.add_argument("--json", default=None, help="full figures (default OUT/bench.json)")
    p.add_argument("--quiet", action="store_true", help="no progress")
    group = p.add_mutually_exclusive_group()
    group.add_argument("--check-baseline", action="store_true",
                       help="compare with the committed quick-suite baseline; exit 1 on a "
                       "regression")
    group.add_argument("--write-baseline", action="store_true",
                       help="make this run (whole quick suite) the committed baseline")
    p.set_defaults(func=_run_bench)


def _run_bench(args) -> int:
    from reconstruct.bench import bench_cli

    return bench_cli(args)


def _add_demo(sub) -> None:
    p = sub.add_parser("demo", help="the whole story on an embedded default: simulate, film, "
                       "track, score, replay, statistics")
    p.add_argument("--out", default="out/demo", help="output folder (default out/demo)")
    p.add_argument("--seed", type=int, default=3, help="match seed (default 3)")
    p.add_argument("--duration", type=_positive(float), default=15.0,
                   help="match length, s (default 15)")
    p.add_argument("--scenario", default="clean", help="filming scenario (default clean)")
    p.set_defaults(func=_run_demo)


def _run_demo(args) -> int:
    from reconstruct.demo import demo_cli

    return demo_cli(args)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="foosball",
        description="Foosball tracker, 3D reconstruction and simulator.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    _add_demo(sub)
    _add_simulate(sub)
    _add_footage(sub)
    _add_render_bench(sub)
    _add_track(sub)
    _add_stats(sub)
    _add_replay(sub)
    _add_physics_replay(sub)
    _add_evaluate(sub)
    _add_bench(sub)
    _add_calibrate(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except KeyboardInterrupt:
        print("foosball: interrupted; what was written so far is kept", file=sys.stderr)
        return 130
    except (ValueError, OSError, RuntimeError) as exc:
        if os.environ.get("FOOSBALL_DEBUG"):
            raise
        message = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        print(f"foosball {args.command}: error: {message}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
