"""Pictures of the physics world from pybullet's own software renderer (``ER_TINY_RENDERER``).

For looking at what the simulator does (men's shape, ball on the table), not for footage:
the camera and renderer of record live in ``sim.camera`` and ``sim.footage``.
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pybullet as pb

from sim.physics import TablePhysics
from sim.state import TableState
from sim.table import TableSpec

VIEWS = {  # eye and target in the table frame, m; vertical field of view, degrees
    "overview": ((-0.95, -0.95, 0.85), (0.0, 0.0, 0.0), 50.0),
    "top": ((0.0, -0.001, 1.45), (0.0, 0.0, 0.0), 50.0),
    "side": ((0.0, -0.75, 0.28), (0.0, 0.0, 0.03), 60.0),
}


def render(physics: TablePhysics, view: str | tuple = "overview", width: int = 800,
           height: int = 600, look_at=None) -> np.ndarray:
    """(height, width, 3) uint8 RGB image of the world now.

    Args:
        view: a name in ``VIEWS`` or (eye (3,), target (3,), vertical fov in degrees).
        look_at: (3,) m, replaces the view's target and moves its eye by the same amount.
    """
    eye, target, fov = VIEWS[view] if isinstance(view, str) else view
    eye, target = np.asarray(eye, float), np.asarray(target, float)
    if look_at is not None:
        eye = eye + (np.asarray(look_at, float) - target)
        target = np.asarray(look_at, float)
    up = (0.0, 1.0, 0.0) if abs(eye[2] - target[2]) > 5 * np.hypot(*(eye - target)[:2]) \
        else (0.0, 0.0, 1.0)
    view_m = pb.computeViewMatrix(eye.tolist(), target.tolist(), up)
    proj = pb.computeProjectionMatrixFOV(fov, width / height, 0.02, 5.0)
    _, _, rgba, _, _ = pb.getCameraImage(width, height, view_m, proj,
                                         renderer=pb.ER_TINY_RENDERER,
                                         physicsClientId=physics.client)
    return np.asarray(rgba, np.uint8).reshape(height, width, 4)[:, :, :3].copy()


def pose(physics: TablePhysics, state: TableState) -> None:
    """Put the rods and the ball where ``state`` has them."""
    physics.reset_rods(state.shifts, state.angles)
    physics.set_ball(state.ball, state.ball_vel)


def save_png(path, rgb: np.ndarray) -> Path:
    """Write an RGB image as PNG (creating the directory)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if not cv2.imwrite(str(path), cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR)):
        raise OSError(f"could not write {path}")
    return path


def render_states(table: TableSpec, states, out_dir, view="overview", team_rgba=None,
                  follow_ball: bool = False) -> list[Path]:
    """Render each state to ``out_dir/state_NNN.png``; returns the paths."""
    physics = TablePhysics(table, visual=True, team_rgba=team_rgba)
    try:
        paths = []
        for k, state in enumerate(states):
            pose(physics, state)
            rgb = render(physics, view, look_at=state.ball if follow_ball else None)
            paths.append(save_png(Path(out_dir) / f"state_{k:03d}.png", rgb))
        return paths
    finally:
        physics.close()
