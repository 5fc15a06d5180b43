"""Camera calibration against the table: the entry points.

- ``calibrate_auto(frames, table)``: the camera (pose, focal length, lens distortion) from
  the playfield and the rods seen in a few frames, and the teams' colours;
- ``calibrate_from_points(points_file, table)``: the camera from a few clicked points
  (``docs/calibration.md``), overriding the automatic calibration;
- ``draw_overlay(image, calibration, table)``: the table drawn back over an image, to see at
  a glance whether a calibration is right;
- ``calibrate_cli``: the ``foosball calibrate`` command.

The table frame is the symmetric one of ``sim.table``: a table looks the same turned by 180
degrees about its centre, so which goal is at -x is a convention. Unless told which colour
defends -x (``side_colours``), the automatic calibration puts the +x goal on the right of the
image (or at the bottom, when the table's length runs down the image).
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import cv2
import numpy as np

from reconstruct.calibration import solve
from reconstruct.calibration.auto import fit_camera_best
from reconstruct.calibration.ball import find_ball_colour, preset_model
from reconstruct.calibration.colours import find_teams
from reconstruct.calibration.field import find_field, median_image
from reconstruct.calibration.model import Calibration, ColourModel, Team
from reconstruct.calibration.overlay import draw_overlay
from reconstruct.calibration.points import MAX_ERROR_PX, fit_points, read_points
from reconstruct.calibration.sources import sample_frames
from reconstruct.views import main_view_frames
from sim.camera import Camera
from sim.table import TableSpec, load_table

__all__ = ["Calibration", "ColourModel", "Team", "calibrate_auto", "calibrate_from_points",
           "draw_overlay", "calibrate_cli", "turned_around"]


def turned_around(camera: Camera) -> Camera:
    """The same camera with the table frame turned 180 degrees about z (the -x and +x goals
    swapped): the other of the two poses a symmetric table cannot tell apart."""
    R = camera.R @ np.diag([-1.0, -1.0, 1.0])
    return replace(camera, rvec=tuple(float(v) for v in cv2.Rodrigues(R)[0].ravel()))


def _plus_x_right_or_down(camera: Camera) -> bool:
    uv = camera.table_to_pixel(np.array([[0.0, 0.0, 0.0], [0.1, 0.0, 0.0]]))
    du, dv = uv[1] - uv[0]
    return du > 0 if abs(du) >= abs(dv) else dv > 0


def _swap_sides(teams: tuple[Team, ...]) -> tuple[Team, ...]:
    return tuple(sorted((replace(t, side=1 - t.side) for t in teams), key=lambda t: t.side))


def _orient_teams(camera: Camera, teams: tuple[Team, ...],
                  side_colours: tuple[str, str] | None, notes: list[str]):
    """Apply the 180-degree convention, or the caller's word on which colour defends -x."""
    if side_colours is not None and teams:
        names = (teams[0].name, teams[1].name)
        if names == tuple(side_colours[::-1]) or (names[0] == side_colours[1]) or \
                (names[1] == side_colours[0]):
            notes.append(f"turned so that {side_colours[0]} defends -x, as asked")
            return turned_around(camera), _swap_sides(teams)
        if names[0] == side_colours[0] or names[1] == side_colours[1]:
            notes.append(f"{side_colours[0]} defends -x, as asked")
            return camera, teams
        notes.append(f"team colours found ({names[0]}, {names[1]}) do not match the ones "
                     f"given ({side_colours[0]}, {side_colours[1]}): convention used")
    if not _plus_x_right_or_down(camera):
        notes.append("the +x goal is on the right (or bottom) of the image by convention")
        return turned_around(camera), _swap_sides(teams)
    notes.append("the +x goal is on the right (or bottom) of the image by convention")
    return camera, teams


def calibrate_auto(frames: list[np.ndarray], table: TableSpec, *,
                   side_colours: tuple[str, str] | None = None, seed: int = 0,
                   ball: str | None = None) -> Calibration:
    """Calibrate the camera from frames of a table, automatically.

    Args:
        frames: K (H, W, 3) uint8 BGR frames of one fixed camera, spread over time (the
            median removes the ball, the hands and moving men); about 30 is plenty. Frames
            of other views among them (a broadcast's other cameras) are left out
            (``reconstruct.views.main_view_frames``).
        table: the table in view.
        side_colours: the colour names of the teams defending -x and +x, if known (e.g. a
            simulation's ("red", "blue")): settles which goal is -x.
        seed: seed of the colour clustering.
        ball: the ball's colour (a preset name: white, yellow, orange), if known; otherwise
            it is looked for in the frames (``reconstruct.calibration.ball``).

    Raises:
        ValueError: no table in view, or a fit too poor to trust.
    """
    frames = main_view_frames(list(frames))
    fit = fit_camera_best(frames, table, seed=seed)
    teams = find_teams(frames, fit.camera, table, fit.field.colour, fit.median, seed=seed)
    notes: list[str] = []
    camera, teams = _orient_teams(fit.camera, teams, side_colours, notes)
    ball_model = _ball(frames, camera, table, fit.median, teams, ball, notes)
    return Calibration(camera, table.name, fit.rms_px, "auto", teams, ball_model,
                       fit.inlier_fraction, tuple(notes))


def _ball(frames, camera, table, median, teams, ball: str | None,
          notes: list[str]) -> ColourModel | None:
    """The ball's colour: the one given (``ball``), or found in the frames (None when no
    ball is seen: the tracker then assumes a white one); a note says which."""
    if ball is not None:
        notes.append(f"ball colour: {ball} (given)")
        return preset_model(ball)
    if median is None or len(frames) < 2:
        notes.append("ball colour: unknown without several frames (assumed white)")
        return None
    model, note = find_ball_colour(frames, camera, table, median, teams)
    notes.append(note)
    return model


def calibrate_from_points(points_file: str | Path, table: TableSpec,
                          frames: list[np.ndarray] | None = None,
                          image_size: tuple[int, int] | None = None,
                          ball: str | None = None) -> Calibration:
    """Calibrate the camera from a file of clicked points (``docs/calibration.md``).

    Args:
        points_file: the JSON points file.
        table: the table in view.
        frames: optional frames of the camera, to find the teams' colours (and the image
            size).
        image_size: (width, height) px, if neither the file nor the frames give it.
        ball: the ball's colour (a preset name), if known; else looked for in the frames.

    Raises:
        ValueError: a malformed file, too few points, or points that disagree.
    """
    obj, img, size, focal, dist = read_points(points_file, table)
    if frames:
        h, w = frames[0].shape[:2]
        if size is not None and size != (w, h):  # clicked on another size: rescale
            img = (img + 0.5) * np.array([w / size[0], h / size[1]]) - 0.5
            focal = None if focal is None else focal * w / size[0]
        size = (w, h)
    size = size or image_size
    if size is None:
        raise ValueError("the image size is unknown: add \"image_size\": [width, height] to "
                         "the points file or give frames")
    p, err = fit_points(obj, img, size, focal, dist)
    if err > MAX_ERROR_PX:
        raise ValueError(f"the calibration points disagree (RMS error {err:.1f} px > "
                         f"{MAX_ERROR_PX} px): check each point's name and pixel")
    camera = solve.params_to_camera(p, *size)
    if camera.position[2] <= 0:
        raise ValueError("the calibration points put the camera below the table: check "
                         "that -x/+x and -y/+y are named consistently")
    teams: tuple[Team, ...] = ()
    med = None
    if frames:
        try:
            med = median_image(frames)
            field = find_field(med).colour
        except ValueError:
            med, field = None, None
        teams = find_teams(frames, camera, table, field, med)
    notes = [f"{len(obj)} points"]
    ball_model = _ball(frames or [], camera, table, med, teams, ball, notes)
    return Calibration(camera, table.name, err, "points", teams, ball_model, 1.0, tuple(notes))


def calibrate_cli(args) -> int:
    """``foosball calibrate INPUT [--table NAME] [--out FILE] [--overlay PNG]
    [--points FILE] [--ball COLOUR]``."""
    table = load_table(args.table)
    sampled = sample_frames(args.input, args.frames)
    frames = main_view_frames(sampled)  # the fixed camera's view, without other cameras'
    ball = getattr(args, "ball", None)
    if args.points:
        cal = calibrate_from_points(args.points, table, frames, ball=ball)
    else:
        cal = calibrate_auto(frames, table, ball=ball)
    cam = cal.camera
    left_out = (f" ({len(sampled) - len(frames)} of another view left out)"
                if len(frames) < len(sampled) else "")
    print(f"calibration: {cal.method}, table {cal.table}, {len(frames)} frames{left_out}")
    print(f"reprojection error: {cal.reprojection_error:.2f} px "
          f"({100 * cal.inlier_fraction:.0f} % of the features fit)")
    print(f"camera: f = {cam.fx:.0f} px, k1 = {cam.dist[0]:+.3f}, k2 = {cam.dist[1]:+.3f}, "
          "at (" + ", ".join(f"{v:+.3f}" for v in cam.position) + ") m in the table frame")
    if cal.teams:
        for t in sorted(cal.teams, key=lambda t: t.side):
            print(f"team {t.name}: side {t.side}, defends the goal at "
                  f"{'-x' if t.side == 0 else '+x'}")
    else:
        print("teams: their colours could not be told apart")
    print(f"ball: {cal.ball.name}" if cal.ball is not None else
          "ball: not seen (assumed white; give --ball white|yellow|orange)")
    if args.out:
        print(f"written {cal.save(args.out)}")
    if args.overlay:
        out = Path(args.overlay)
        out.parent.mkdir(parents=True, exist_ok=True)
        base = median_image(frames) if len(frames) > 1 else frames[0]
        if not cv2.imwrite(str(out), draw_overlay(base, cal, table)):
            raise ValueError(f"could not write the overlay image {out}")
        print(f"overlay: {out}")
    return 0
