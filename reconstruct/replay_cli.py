"""``foosball replay``: a record in 3D, in a window or exported to a video."""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path


def parse_size(text: str | None, default: tuple[int, int]) -> tuple[int, int]:
    """``"WxH"`` -> (W, H) px; ``default`` for None.

    Raises:
        ValueError: not two positive integers, or under 64 px.
    """
    if text is None:
        return default
    try:
        w, h = (int(v) for v in text.lower().split("x"))
    except ValueError:
        raise ValueError(f"--size takes WxH like 960x540, got {text!r}") from None
    if w < 64 or h < 64:
        raise ValueError(f"--size must be at least 64x64, got {text!r}")
    return w, h


def replay_cli(args) -> int:
    from reconstruct.stats import StatsSettings
    from sim.replay import MAX_SPEED, MIN_SPEED, export_replay, load_replay

    if not MIN_SPEED <= args.speed <= MAX_SPEED:
        raise ValueError(f"--speed must be in {MIN_SPEED:g}..{MAX_SPEED:g}, got {args.speed:g}")
    shot_speed = StatsSettings().shot_speed  # the overlay's shots are the statistics' shots
    if getattr(args, "physics", False):
        with tempfile.TemporaryDirectory(prefix="physreplay-") as tmp:
            lifted = Path(tmp) / Path(args.record).name
            print(physics_replay_to(args.record, lifted), file=sys.stderr)
            main = load_replay(lifted, shot_speed)
    else:
        main = load_replay(args.record, shot_speed)
    ghost = load_replay(args.compare, shot_speed) if args.compare else None
    if args.export is None:
        from sim.viewer import run_viewer

        if args.fps is not None:
            raise ValueError("--fps applies to --export only")
        run_viewer(main, ghost, args.camera, args.speed, parse_size(args.size, (1280, 720)))
        return 0
    size = parse_size(args.size, (960, 540))
    tty = sys.stderr.isatty()

    def progress(done: int, total: int) -> None:
        if tty and (done == total or done % 30 == 0):
            print(f"\rreplay: {done}/{total} frames", end="\n" if done == total else "",
                  file=sys.stderr, flush=True)

    result = export_replay(main, args.export, ghost, args.camera, args.fps, args.speed, size,
                           progress)
    print(f"wrote {result.path}: {result.frames} frames, {result.width}x{result.height} at "
          f"{result.fps:g} fps, camera {args.camera}"
          + (f", ghost {ghost.name}" if ghost else "")
          + f"; rendered at {result.render_fps:.1f} frames/s, {result.cpu_fps:.1f} per CPU "
          f"second (+{result.setup_seconds:.1f} s setup)")
    return 0


def physics_replay_to(record, out) -> str:
    """Replay ``record`` in the physics (``sim.physreplay``), write it to ``out``; returns a
    one-line summary."""
    from sim.physreplay import physics_replay
    from sim.record import read_record, write_record

    if Path(out).resolve() == Path(record).resolve():
        raise ValueError("--out must differ from the input record")
    result = physics_replay(read_record(record))
    write_record(result.record, out)
    methods: dict[str, int] = {}
    for span in result.spans:
        methods[span.method] = methods.get(span.method, 0) + 1
    spans = ", ".join(f"{n} {m}" for m, n in sorted(methods.items())) or "none"
    return (f"physics replay of {record}: {len(result.spans)} hidden spans ({spans}); "
            f"{result.steps} physics steps in {result.cpu_seconds:.1f} CPU s")


def physics_replay_cli(args) -> int:
    print(physics_replay_to(args.record, args.out) + f"; wrote {args.out}")
    return 0
