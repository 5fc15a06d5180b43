"""The main job on its embedded default: the whole story in one command.

``foosball demo`` simulates a short match, films it, tracks the film (calibrating the camera
from the footage as a user's webcam would be), scores the tracking against the simulator's
truth, writes the 3D replay of the tracked game (with the truth as a ghost) and its
statistics report, and prints where everything is.
"""

from __future__ import annotations

import json
import sys
import time
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class DemoSettings:
    seed: int = 3  # a 15 s match with a goal in it
    duration: float = 15.0  # s of match
    scenario: str = "clean"
    replay_size: tuple[int, int] = (960, 540)


def _say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def run_demo(out_dir: str | Path = "out/demo", settings: DemoSettings | None = None) -> dict:
    """Run the whole story; returns the paths written and the headline figures."""
    from reconstruct.calibration.evaluate import camera_agreement
    from reconstruct.evaluate import evaluate, write_report_json
    from reconstruct.plots import plot_report
    from reconstruct.sources import VideoSource
    from reconstruct.stats import game_stats, stats_agreement
    from reconstruct.stats_report import summary_text, write_stats
    from reconstruct.track import load_or_calibrate, track_video
    from sim.camera import Camera
    from sim.filming import make_shot, open_footage
    from sim.record import read_record
    from sim.replay import export_replay, load_replay
    from sim.simulate import simulate
    from sim.table import load_table

    s = settings or DemoSettings()
    out = Path(out_dir)
    truth_dir, track_dir = out / "truth", out / "tracked"
    t0 = time.perf_counter()

    _say(f"1/5 simulating and filming a {s.duration:g} s match (seed {s.seed}, scenario "
         f"{s.scenario}) ...")
    shot = make_shot(s.scenario)
    table = load_table(shot.table)
    filmer = open_footage(shot, truth_dir, table)
    try:
        sim = simulate(table, truth_dir, seed=s.seed, duration=s.duration,
                       fps=shot.camera.fps, team_names=tuple(shot.look.teams), filmer=filmer)
    finally:
        filmer.close()
    video = next(truth_dir.glob("video.*"))
    goals = ", ".join(f"{k} {v}" for k, v in sim["goals"].items())
    _say(f"    {sim['frames']} frames; goals {goals}; kicks {sim['kicks']}")

    _say("2/5 calibrating the camera from the footage and tracking it ...")
    source = VideoSource(video)
    try:
        cal = load_or_calibrate(source, table, None, track_dir,
                                side_colours=tuple(shot.look.teams))
        calibration = "automatic"
    except ValueError as exc:
        # The story goes on with the camera the clip was filmed with, and says so loudly:
        # a refused calibration is a finding, not a reason to show nothing.
        import cv2

        from reconstruct.bench import truth_calibration
        from reconstruct.calibrate import draw_overlay

        _say(f"    WARNING: automatic calibration failed ({exc}); tracking with the camera "
             "saved with the clip instead")
        frames = source.sample(30)
        cal = truth_calibration(truth_dir, table, frames)
        track_dir.mkdir(parents=True, exist_ok=True)
        cal.save(track_dir / "calibration.json")
        cv2.imwrite(str(track_dir / "calibration.png"), draw_overlay(frames[0], cal, table))
        calibration = f"FAILED ({exc}); the clip's own camera used"
    if calibration == "automatic":
        truth_cam = Camera.from_dict(json.loads((truth_dir / "meta.json").read_text())["camera"])
        agree = camera_agreement(cal.camera, truth_cam, table)
        calibration = (f"automatic, reprojection {cal.reprojection_error:.2f} px; against the "
                       f"true camera {agree.reprojection_mean_px:.2f} px mean, lifting "
                       f"{agree.lift_mean_mm:.2f} mm mean")
    _say(f"    calibration: {calibration}")
    summary = track_video(VideoSource(video), track_dir, table, cal, progress=True)
    _say(f"    {summary.text()}")

    _say("3/5 scoring the tracking against the truth ...")
    report = evaluate(truth_dir, track_dir)
    write_report_json(report, out / "evaluation.json")
    plot_report(report, out / "evaluation")
    print(report.format_text())

    _say("4/5 rendering the 3D replay (tracked game, truth as a ghost) ...")
    replay = export_replay(load_replay(track_dir), out / "replay.mp4",
                           ghost=load_replay(truth_dir), preset="overhead",
                           size=s.replay_size)
    _say(f"    {replay.frames} frames at {replay.render_fps:.0f} frames/s")

    _say("5/5 game statistics of the tracked game ...")
    stats, paths = write_stats(track_dir, out / "stats")
    print(summary_text(stats))
    agreement = stats_agreement(game_stats(read_record(truth_dir)), stats)
    print(f"against the truth's statistics: {agreement.text()}")

    result = {
        "truth": str(truth_dir), "video": str(video), "tracked": str(track_dir),
        "calibration_overlay": str(track_dir / "calibration.png"),
        "evaluation": str(out / "evaluation.json"), "plots": str(out / "evaluation"),
        "replay": str(replay.path), "stats_report": str(paths["html"]),
        "stats_json": str(paths["json"]), "calibration": calibration,
        "seconds": time.perf_counter() - t0,
        "headline": report.headline(s.scenario).to_dict(),
        "stats_agreement": agreement.text(),
    }
    (out / "demo.json").write_text(json.dumps(result, indent=1, default=str) + "\n")
    return result


def demo_cli(args) -> int:
    settings = DemoSettings(seed=args.seed, duration=args.duration, scenario=args.scenario)
    r = run_demo(args.out, settings)
    print("\nwritten:")
    for key in ("video", "truth", "tracked", "calibration_overlay", "evaluation", "plots",
                "replay", "stats_report"):
        print(f"  {key.replace('_', ' '):20s} {r[key]}")
    print(f"done in {r['seconds']:.0f} s")
    return 0
