"""Scoring the physics replay against simulated truth.

- ``hide_ball``: an "estimate" record made from a truth record by blanking the ball in spans:
  the frames where the truth says the camera saw little of it (``ball_visibility`` below
  ``min_visibility``, when the record has the column), the frames where a man stands over
  the ball's centre as seen from straight above (an overhead camera's occlusion; the
  truth without a camera has no visibility column), and random spans of 0.1-0.5 s by seed.
- ``straight_fill``: the baseline, a straight line at constant speed across each hidden span.
- ``clearance``: the ball's clearance (m, surface to surface; negative = overlap) to the
  men and rods and to the walls and goal boxes, frame by frame, from pybullet's closest
  points with the rods at the record's states; optionally swept along the motion between
  frames (ball and rods drawn linearly, sampled every ``SWEEP_STEP`` of motion), so a ball
  that passes through a man between two frames is caught.
- ``evaluate``: RMS error (x, y) against the truth over the hidden frames that lie between
  two sightings, for the replay and for the straight fill, and the clearances.

``python -m sim.physreplay_eval --seeds 1 2 3`` simulates matches, replays them and prints
the figures (``docs/physreplay.md``).
"""

from __future__ import annotations

import argparse
import json
import time
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pybullet as pb

from sim.men import foot_position
from sim.physreplay import PhysReplayResult, physics_replay, runs
from sim.playback import hold_last
from sim.record import N_RODS, Record, read_record
from sim.table import TableSpec, table_from_dict
from sim.world import build_world

SPAN_SECONDS = (0.1, 0.5)  # s, length range of the random hidden spans
GAP_SECONDS = (0.3, 1.5)  # s, seen time between random spans


def under_men(table: TableSpec, xyz: np.ndarray, shifts: np.ndarray,
              angles: np.ndarray) -> np.ndarray:
    """(N,) bool: a man covers the ball's centre seen from straight above.

    A man's footprint from above: across the rod, from the rod axis to his sole (x, at the
    rod's angle) widened by half his torso thickness; along the rod, his torso width.

    Args:
        xyz: (N, 3) m ball centres (NaN: never covered). shifts, angles: (N, 8) m, rad.
    """
    out = np.zeros(len(xyz), bool)
    m = table.man
    for spec in table.rods:
        for man in range(spec.men):
            foot_x = np.array([foot_position(table, spec.index, man, s, a)[0]
                               for s, a in zip(shifts[:, spec.index], angles[:, spec.index])])
            lo = np.minimum(spec.x, foot_x) - 0.5 * m.torso_thickness
            hi = np.maximum(spec.x, foot_x) + 0.5 * m.torso_thickness
            y = spec.man_offsets[man] + shifts[:, spec.index]
            with np.errstate(invalid="ignore"):
                out |= ((xyz[:, 0] >= lo) & (xyz[:, 0] <= hi)
                        & (np.abs(xyz[:, 1] - y) <= 0.5 * m.torso_width))
    return out


def hide_ball(truth: Record, seed: int, min_visibility: float = 0.3,
              span_seconds=SPAN_SECONDS, gap_seconds=GAP_SECONDS,
              occlusion: bool = True) -> Record:
    """The truth with the ball blanked (state ``hidden``, no position) in spans (see the
    module docstring). Deterministic by ``seed``."""
    rng = np.random.default_rng(seed)
    f = {k: v.copy() for k, v in truth.frames.items()}
    n, fps = truth.n_frames, truth.fps
    hidden = np.zeros(n, bool)
    i = int(rng.uniform(*gap_seconds) * fps)
    while i < n:
        length = max(1, int(round(rng.uniform(*span_seconds) * fps)))
        hidden[i:i + length] = True
        i += length + int(round(rng.uniform(*gap_seconds) * fps))
    if "ball_visibility" in f:
        with np.errstate(invalid="ignore"):
            hidden |= f["ball_visibility"] < min_visibility
    if occlusion:
        table = table_from_dict(truth.meta["table"])
        hidden |= under_men(table, truth.ball_xyz, hold_last(truth.rod_shifts),
                            hold_last(truth.rod_angles))
    hidden &= f["ball_state"] == "visible"
    f["ball_state"] = np.where(hidden, "hidden", f["ball_state"])
    for c in ("ball_x", "ball_y", "ball_z", "ball_u", "ball_v"):
        if c in f:
            f[c] = np.where(hidden, np.nan, f[c])
    meta = dict(truth.meta, source="hide_ball", hide_seed=int(seed))
    return replace(truth, path=None, meta=meta, frames=f)


def bracketed_spans(est: Record) -> list[tuple[int, int]]:
    """Hidden spans (first, last) with a seen frame just before and just after, in play."""
    state = est.ball_state
    seen = (state == "visible") & np.all(np.isfinite(est.ball_xyz), axis=1)
    out = []
    for a, b in runs(~seen):
        if a > 0 and b + 1 < len(seen) and not np.any(state[a:b + 1] == "out"):
            out.append((a, b))
    return out


def straight_fill(est: Record) -> np.ndarray:
    """(N, 3) m: the estimate's ball with each bracketed hidden span filled by a straight
    line at constant speed between the sightings around it (NaN elsewhere unknown)."""
    xyz = est.ball_xyz.copy()
    for a, b in bracketed_spans(est):
        w = (np.arange(a, b + 1) - (a - 1)) / (b + 2 - a)
        xyz[a:b + 1] = xyz[a - 1] + w[:, None] * (xyz[b + 1] - xyz[a - 1])
    return xyz


SWEEP_STEP = 0.002  # m, how far the ball or a man moves between two samples of a swept check


def clearance(rec: Record, table: TableSpec | None = None,
              sweep: float = 0.0) -> dict[str, np.ndarray]:
    """The ball's clearance, frame by frame.

    Args:
        sweep: m; if above 0, also check the motion from each frame to the next (ball and rods
            drawn linearly between frames, as a viewer draws the record) at instants spaced so
            that neither the ball nor any point of a man moves more than ``sweep`` from one to
            the next; the frame's value is then the least over the frame and that motion.
            A ball that passes through a man between two frames shows here, not at the frames.

    Returns:
        ``men`` and ``walls``: (N,) float64, m, the least surface-to-surface distance from
        the ball to any man or rod, and to the walls, lintels and goal boxes (negative:
        overlap; NaN: ball unknown or out of play; capped at 0.05 m).
    """
    table = table or table_from_dict(rec.meta["table"])
    c = pb.connect(pb.DIRECT)
    try:
        world = build_world(table, c, visual=False)
        joints = list(world.rod_links.movable)
        q = np.empty((rec.n_frames, 2 * N_RODS))
        q[:, 0::2], q[:, 1::2] = hold_last(rec.rod_shifts), hold_last(rec.rod_angles)
        q = np.nan_to_num(q)
        xyz = rec.ball_xyz
        ok = np.all(np.isfinite(xyz), axis=1) & (rec.ball_state != "out")
        men = np.full(rec.n_frames, np.nan)
        walls = np.full(rec.n_frames, np.nan)
        reach = 0.05
        # m: no point of a man lies farther than this from his rod's axis
        arm = table.man_reach + table.man.foot_length

        def probe(ball, rods) -> tuple[float, float]:
            pb.resetJointStatesMultiDof(world.rods, joints, targetValues=[[v] for v in rods],
                                        physicsClientId=c)
            pb.resetBasePositionAndOrientation(world.ball, ball.tolist(), (0, 0, 0, 1),
                                               physicsClientId=c)
            pts = pb.getClosestPoints(world.ball, world.rods, reach, physicsClientId=c)
            m = min([p[8] for p in pts], default=reach)
            w = reach
            for body in (world.walls, world.goals, *world.ramps):
                pts = pb.getClosestPoints(world.ball, body, reach, physicsClientId=c)
                w = min([w, *[p[8] for p in pts]])
            return m, w

        for i in np.flatnonzero(ok):
            men[i], walls[i] = probe(xyz[i], q[i])
            if sweep > 0 and i + 1 < rec.n_frames and ok[i + 1]:
                dq = q[i + 1] - q[i]
                moves = max(float(np.linalg.norm(xyz[i + 1] - xyz[i])),
                            float(np.max(np.abs(dq[0::2]) + arm * np.abs(dq[1::2]))))
                n = int(np.ceil(moves / sweep))
                for s in np.arange(1, n) / n:
                    m, w = probe(xyz[i] + s * (xyz[i + 1] - xyz[i]), q[i] + s * dq)
                    men[i], walls[i] = min(men[i], m), min(walls[i], w)
    finally:
        pb.disconnect(physicsClientId=c)
    return {"men": men, "walls": walls}


@dataclass(frozen=True)
class FillScore:
    """Figures of one replay against its truth (m unless said)."""

    hidden_frames: int  # bracketed hidden frames scored
    spans: int  # bracketed hidden spans
    rms_physics: float  # RMS (x, y) error of the replay over those frames
    rms_straight: float  # same for the straight fill
    max_physics: float  # largest (x, y) error of the replay there
    max_straight: float
    min_clear_men: float  # least ball clearance to men/rods over in-play frames (replay)
    min_clear_walls: float
    truth_min_clear_men: float  # the truth's own, for scale (the solver's softness)
    truth_min_clear_walls: float
    between_clear_men: float  # least clearance to men/rods, swept between frames (SWEEP_STEP)
    truth_between_clear_men: float
    between_clear_walls: float  # same, walls and goal boxes
    truth_between_clear_walls: float
    seen_rms: float  # RMS (x, y) of the replay against the truth on seen frames
    methods: dict  # span fill method -> count
    cpu_seconds: float  # of the replay


def evaluate(truth: Record, est: Record, result: PhysReplayResult,
             between_frames: bool = False) -> FillScore:
    """Score a replay of ``est`` (made from ``truth`` by ``hide_ball``); ``between_frames``:
    also the clearances swept between frames (``between_clear_men``/``_walls``, else NaN)."""
    spans = bracketed_spans(est)
    idx = np.concatenate([np.arange(a, b + 1) for a, b in spans]) if spans else np.zeros(0, int)
    true_xy = truth.ball_xyz[:, :2]
    phys = np.linalg.norm(result.record.ball_xyz[idx, :2] - true_xy[idx], axis=1)
    line = np.linalg.norm(straight_fill(est)[idx, :2] - true_xy[idx], axis=1)
    seen = est.ball_state == "visible"
    seen_err = np.linalg.norm(result.record.ball_xyz[seen, :2] - true_xy[seen], axis=1)
    table = table_from_dict(truth.meta["table"])
    clear = clearance(result.record, table)
    tclear = clearance(truth, table)
    between = tbetween = between_w = tbetween_w = float("nan")
    if between_frames:
        swept = clearance(result.record, table, SWEEP_STEP)
        tswept = clearance(truth, table, SWEEP_STEP)
        between, between_w = float(np.nanmin(swept["men"])), float(np.nanmin(swept["walls"]))
        tbetween, tbetween_w = float(np.nanmin(tswept["men"])), float(np.nanmin(tswept["walls"]))
    methods: dict[str, int] = {}
    for sp in result.spans:
        methods[sp.method] = methods.get(sp.method, 0) + 1

    def rms(e):
        return float(np.sqrt(np.mean(e**2))) if len(e) else float("nan")

    return FillScore(len(idx), len(spans), rms(phys), rms(line),
                     float(phys.max(initial=0.0)), float(line.max(initial=0.0)),
                     float(np.nanmin(clear["men"])), float(np.nanmin(clear["walls"])),
                     float(np.nanmin(tclear["men"])), float(np.nanmin(tclear["walls"])),
                     between, tbetween, between_w, tbetween_w,
                     rms(seen_err), methods, result.cpu_seconds)


def plot_spans(truth: Record, est: Record, result: PhysReplayResult, path, count: int = 4):
    """A PNG of x and y against time for truth, straight fill and physics fill around the
    ``count`` bracketed spans where the straight fill is worst."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    spans = bracketed_spans(est)
    line = straight_fill(est)
    tru, phys, t = truth.ball_xyz, result.record.ball_xyz, truth.t
    worst = sorted(spans, key=lambda s: -np.max(np.linalg.norm(
        line[s[0]:s[1] + 1, :2] - tru[s[0]:s[1] + 1, :2], axis=1)))[:count]
    worst.sort()
    fig, axes = plt.subplots(2, max(1, len(worst)), figsize=(4 * max(1, len(worst)), 6),
                             squeeze=False)
    for col, (a, b) in enumerate(worst):
        pad = 15
        sl = slice(max(0, a - pad), min(len(t), b + pad + 1))
        for row, (axis, name) in enumerate(((0, "x"), (1, "y"))):
            ax = axes[row, col]
            ax.axvspan(t[a], t[b], color="0.9")
            ax.plot(t[sl], tru[sl, axis], "k-", lw=2, label="truth")
            ax.plot(t[a - 1:b + 2], line[a - 1:b + 2, axis], "b--", label="straight fill")
            ax.plot(t[sl], phys[sl, axis], "r-", lw=1, label="physics replay")
            ax.set_xlabel("t (s)")
            ax.set_ylabel(f"ball {name} (m)")
            if row == 0:
                ax.set_title(f"frames {a}-{b}")
    axes[0, 0].legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m sim.physreplay_eval",
                                description="score the physics replay on simulated matches")
    p.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3])
    p.add_argument("--duration", type=float, default=20.0)
    p.add_argument("--out", default="out/physreplay")
    p.add_argument("--no-occlusion", action="store_true",
                   help="hide random spans only (not the ball under men)")
    args = p.parse_args(argv)
    from sim.simulate import simulate
    from sim.table import load_table

    out = Path(args.out)
    rows = []
    for seed in args.seeds:
        truth_dir = out / f"truth-{seed}"
        if not (truth_dir / "meta.json").is_file():
            simulate(load_table("german"), truth_dir, seed=seed, duration=args.duration)
        truth = read_record(truth_dir)
        est = hide_ball(truth, seed, occlusion=not args.no_occlusion)
        t0 = time.perf_counter()
        result = physics_replay(est)
        wall = time.perf_counter() - t0
        score = evaluate(truth, est, result, between_frames=True)
        plot_spans(truth, est, result, out / f"spans-{seed}.png")
        rows.append({"seed": seed, "wall_seconds": wall, **score.__dict__})
        print(f"seed {seed}: {score.spans} spans, {score.hidden_frames} hidden frames; RMS "
              f"physics {1e3 * score.rms_physics:.1f} mm, straight {1e3 * score.rms_straight:.1f}"
              f" mm; max {1e3 * score.max_physics:.0f} / {1e3 * score.max_straight:.0f} mm; "
              f"clearance men {1e3 * score.min_clear_men:+.2f} mm (truth "
              f"{1e3 * score.truth_min_clear_men:+.2f}), walls {1e3 * score.min_clear_walls:+.2f}"
              f" mm (truth {1e3 * score.truth_min_clear_walls:+.2f}); swept between frames: men "
              f"{1e3 * score.between_clear_men:+.2f} mm (truth "
              f"{1e3 * score.truth_between_clear_men:+.2f}), walls "
              f"{1e3 * score.between_clear_walls:+.2f} mm (truth "
              f"{1e3 * score.truth_between_clear_walls:+.2f}); seen RMS "
              f"{1e3 * score.seen_rms:.2f} mm; {score.methods}; {score.cpu_seconds:.1f} CPU s",
              flush=True)
    n = np.array([r["hidden_frames"] for r in rows], float)

    def pooled(key):
        return 1e3 * float(np.sqrt(np.sum(n * np.array([r[key] for r in rows]) ** 2) / n.sum()))

    print(f"all seeds: {int(n.sum())} hidden frames; RMS physics {pooled('rms_physics'):.1f} mm, "
          f"straight {pooled('rms_straight'):.1f} mm; least clearance men "
          f"{1e3 * min(r['min_clear_men'] for r in rows):+.2f} mm (truth "
          f"{1e3 * min(r['truth_min_clear_men'] for r in rows):+.2f}), walls "
          f"{1e3 * min(r['min_clear_walls'] for r in rows):+.2f} mm (truth "
          f"{1e3 * min(r['truth_min_clear_walls'] for r in rows):+.2f}); swept between frames: "
          f"men {1e3 * min(r['between_clear_men'] for r in rows):+.2f} mm (truth "
          f"{1e3 * min(r['truth_between_clear_men'] for r in rows):+.2f}), walls "
          f"{1e3 * min(r['between_clear_walls'] for r in rows):+.2f} mm (truth "
          f"{1e3 * min(r['truth_between_clear_walls'] for r in rows):+.2f}); physics better "
          f"than straight on {sum(r['rms_physics'] < r['rms_straight'] for r in rows)}/"
          f"{len(rows)} seeds")
    (out / "physreplay.json").write_text(json.dumps(rows, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
