"""The most likely path of the ball through a stream of per-frame candidates.

A beam of hypotheses is carried from frame to frame (an approximate Viterbi search where
every surviving state keeps its own kinematics). Each frame a hypothesis either

- takes one of the frame's ball candidates (``SEEN``): smoothly, if the candidate lies where
  its motion predicts, or with a velocity change, which is cheap only near a man's foot or
  a wall (a contact) and expensive in open field;
- is not seen (``UNSEEN``): cheap where a man hides the ball from the camera, a little
  dearer where he half hides it (a sliver of a ball is rarely detected), expensive in the
  open (the detector should have seen it);
- or is out of play (``OUT``): after a goal or when the ball leaves the table, until a new
  ball appears (a serve).

A ball seen again after frames unseen, or leaving the man who held it, has an unknown speed
(a jump is no measured one-frame displacement, and a carried ball's speed is the man's).

Costs are negative log-likelihoods. Decisions are taken with a fixed lag: every ``block``
frames the best hypothesis is traced back and the frames older than ``lag`` frames are
committed (hypotheses that disagree with the committed past are dropped), so the committed
path is consistent. ``update`` returns the online estimate of the newest frame at once.

All positions are ball centres in the table frame (``sim.table``), metres, in the plane of
the ball's centre (z = ball radius).
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

import numpy as np

from sim.table import TableSpec

SEEN, UNSEEN, OUT = 0, 1, 2
STATE_NAMES = ("visible", "hidden", "out")


@dataclass(frozen=True)
class PathSettings:
    """Tuning of the path search. Distances in m, speeds in m/s, costs in nats."""

    beam: int = 24  # hypotheses kept per frame
    lag_s: float = 1.0  # decisions are committed this late (the smoother's latency)
    block_s: float = 0.25  # frames are committed this many at a time
    meas_sigma: float = 0.003  # m, candidate position noise after lifting
    weak_sigma_gain: float = 1.0  # the noise grows by this times (1 - score)
    accel_sigma: float = 6.0  # m/s^2, random acceleration of a rolling ball (spin, bumps)
    contact_vel_sigma: float = 3.0  # m/s, uncertainty of the velocity just after a contact
    max_speed: float = 25.0  # m/s, no ball moves faster
    contact_reach: float = 0.045  # m, a ball this close to a low foot can be struck
    wall_reach: float = 0.03  # m, a ball this close to a wall can bounce
    jump_cost_contact: float = 3.0  # a velocity change at a man or a wall
    jump_cost_open: float = 14.0  # a velocity change in open field
    miss_cost_open: float = 2.5  # not seeing a ball in the open, per frame
    miss_cost_hidden: float = 0.05  # not seeing a ball a man can hide, per frame
    miss_cost_partial: float = 0.3  # not seeing a ball a man half hides (its centre within
    # ``partial_reach`` of what he hides: the detector needs more than a sliver of a ball)
    partial_reach: float = 0.017  # m
    out_cost: float = 0.05  # per frame out of play
    enter_out_cost: float = 6.0  # leaving play anywhere but through a goal
    serve_cost: float = 5.0  # a ball appearing out of nowhere
    catch_cost: float = 1.0  # a man stopping the ball and holding it
    catch_speed_cost: float = 0.15  # more per (m/s)^2 of the ball's speed: fast balls fly on
    hold_offset: float = 0.025  # m, how far from the foot's centre a held ball can sit
    push_speed: float = 2.0  # m/s, a low foot this fast or slower pushes the ball it holds
    score_weight: float = 1.0  # weight of the candidates' detection scores
    goal_weight: float = 2.0  # weight of a ball seen inside a goal (for 'out')
    track_bonus: float = 4.0  # most a candidate gains by lying where the motion predicts
    rest_bonus: float = 1.0  # the same for a ball that does not move
    rolling_speed: float = 0.5  # m/s, from this speed on a ball counts as rolling
    wall_restitution: float = 0.7


@dataclass
class Candidates:
    """One frame's ball candidates, lifted to the table.

    Attributes:
        xy: (K, 2) float64, m, candidate ball centres in the table frame.
        score: (K,) float64, detection confidence in (0, 1).
        in_goal: the best detection confidence of a ball seen past a goal line, inside a
            goal (evidence that the ball is out of play), 0 if none.
    """

    xy: np.ndarray
    score: np.ndarray
    in_goal: float = 0.0

    def __post_init__(self) -> None:
        self.xy = np.asarray(self.xy, float).reshape(-1, 2)
        self.score = np.clip(np.asarray(self.score, float).reshape(-1), 1e-4, 1 - 1e-4)
        if len(self.xy) != len(self.score):
            raise ValueError("candidates: xy and score lengths differ")

    @classmethod
    def empty(cls) -> Candidates:
        return cls(np.zeros((0, 2)), np.zeros(0))


@dataclass
class Context:
    """What the rods say about one frame.

    Attributes:
        feet: (M, 2) float64, m, x/y of every man's foot, projected onto the field.
        feet_low: (M,) bool, whether that foot is low enough to strike a ball.
        hides: (M, 4) float64, m, per man the box (x0, x1, y0, y1) of the field where the
            camera cannot see a ball because of him; ``None``: derive from ``feet``.
        strikes: (S, 2) float64, m, places a striking man's foot may have passed low this
            frame though the reading does not put it there (a fast swing): a ball leaving
            one of them changes its motion at a contact's cost.
    """

    feet: np.ndarray = field(default_factory=lambda: np.zeros((0, 2)))
    feet_low: np.ndarray = field(default_factory=lambda: np.zeros(0, bool))
    hides: np.ndarray | None = None
    strikes: np.ndarray = field(default_factory=lambda: np.zeros((0, 2)))


@dataclass(frozen=True)
class PathPoint:
    """The path at one frame."""

    frame: int
    xy: np.ndarray  # (2,) m, NaN when out
    vel: np.ndarray  # (2,) m/s
    state: int  # SEEN, UNSEEN or OUT
    candidate: int  # index of the chosen candidate, -1 if none
    contact: bool  # the velocity changed here (a kick, a block or a wall)
    meas: np.ndarray  # (2,) m, the chosen candidate's position, NaN if none
    held: int = -1  # index (in the context's feet) of the man holding the ball, -1 if none


class BallPathTracker:
    """Fixed-lag search for the ball's path. Feed frames in order with ``update``.

    Args:
        table: the table (walls, goals, ball size).
        fps: frame rate, frames per second.
        settings: tuning.
    """

    def __init__(self, table: TableSpec, fps: float, settings: PathSettings | None = None):
        self.table = table
        self.fps = float(fps)
        self.dt = 1.0 / self.fps
        self.s = s_ = settings or PathSettings()
        self.lag = max(1, int(round(self.s.lag_s * self.fps)))
        self.block = max(1, int(round(self.s.block_s * self.fps)))
        r = table.ball.radius
        self._x_wall = table.half_length - r
        self._y_wall = table.half_width - r
        self._goal_half = 0.5 * table.goal.width  # a ball grazing a post may still go in
        self._wall_near = np.array([self._x_wall - s_.wall_reach, self._y_wall - s_.wall_reach])
        g = s_.partial_reach  # a hiding box grown by this: what a man half hides
        self._partial_grow = np.array([-g, g, -g, g])
        dt = self.dt
        self._R = s_.meas_sigma ** 2
        self._area = table.length * table.width  # clutter is anywhere on the field
        # after a contact the ball may be anywhere it can reach in a frame
        self._jump_area = max(np.log(np.pi * (s_.max_speed * dt) ** 2 / self._area),
                              -s_.track_bonus)
        qa = s_.accel_sigma ** 2  # white-noise acceleration: Q = qa [dt^4/4, dt^3/2, dt^2]
        self._Q = qa * np.array([dt ** 4 / 4, dt ** 3 / 2, dt ** 2])
        self._P_fresh = np.array([self._R, 0.0, s_.contact_vel_sigma ** 2])
        self._P_held = np.array([s_.hold_offset ** 2, 0.0, 1e-4])
        self.frame = -1
        # the beam: one row per hypothesis
        self._cost = np.zeros(1)
        self._pos = np.full((1, 2), np.nan)
        self._vel = np.zeros((1, 2))
        self._state = np.full(1, OUT)
        self._P = self._P_fresh[None].copy()
        self._held = np.full(1, -1)
        self._prev_feet = np.zeros((0, 2))
        # history of the last frames: per frame, the beam's parent/state arrays
        self._hist: deque[dict] = deque()
        self._first_hist_frame = 0
        self._committed: list[PathPoint] = []

    # ------------------------------------------------------------------ prediction
    def _predict(self, pos: np.ndarray, vel: np.ndarray):
        """Constant-velocity prediction (one frame) with reflections off the side and end
        walls.

        Returns positions (N, 2), velocities (N, 2) and whether each bounced (N,) bool.
        """
        p = pos + vel * self.dt
        v = vel.copy()
        e = self.s.wall_restitution
        bounced = np.zeros(len(p), bool)
        # a bounce: the ball crosses a wall while moving towards it (not rolling along it)
        ay = np.abs(p[:, 1])
        over_y = ay > self._y_wall
        if over_y.any():
            over_y &= vel[:, 1] * np.sign(p[:, 1]) > 0.2
            sign = np.sign(p[over_y, 1])
            p[over_y, 1] = sign * (2 * self._y_wall - np.abs(p[over_y, 1]))
            v[over_y, 1] *= -e
            bounced |= over_y
            ay = np.abs(p[:, 1])
        over_x = np.abs(p[:, 0]) > self._x_wall
        if over_x.any():
            in_mouth = ay < self._goal_half
            over_x &= ~in_mouth & (vel[:, 0] * np.sign(p[:, 0]) > 0.2)
            sign = np.sign(p[over_x, 0])
            p[over_x, 0] = sign * (2 * self._x_wall - np.abs(p[over_x, 0]))
            v[over_x, 0] *= -e
            bounced |= over_x
        return p, v, bounced

    def _P_pred(self, held: np.ndarray) -> np.ndarray:
        """(B, 3) predicted covariance (pp, pv, vv), each axis alike: P' = F P F^T + Q."""
        dt = self.dt
        P = self._P
        out = np.empty_like(P)
        out[:, 0] = P[:, 0] + 2 * dt * P[:, 1] + dt * dt * P[:, 2]
        out[:, 1] = P[:, 1] + dt * P[:, 2]
        out[:, 2] = P[:, 2]
        out += self._Q
        out[held] = self._P_held
        return out

    def _near_contact(self, a: np.ndarray, b: np.ndarray, feet: np.ndarray) -> np.ndarray:
        """(N,) bool: can the ball moving from a (N, 2) to b (N, 2) have hit a man (his
        foot low, at ``feet`` (L, 2) m) or a wall?"""
        s = self.s
        reach = self._wall_near  # |x|, |y| beyond which a wall is within reach
        near = (np.abs(a) > reach).any(axis=1) | (np.abs(b) > reach).any(axis=1)
        if len(feet):
            d = _segment_point_distance(a, b, feet)  # (N, M)
            near |= (d < s.contact_reach).any(axis=1)
        return near

    def _hidden(self, p: np.ndarray, ctx: Context, grow: float = 0.0) -> np.ndarray:
        """(N,) bool: would a ball at p (N, 2) be hidden from the camera (within ``grow`` m
        of a hiding box: a ball pinned under a man's toe is barely seen)?"""
        if ctx.hides is not None and len(ctx.hides):
            h = ctx.hides + np.array([-grow, grow, -grow, grow])
            inside = ((p[:, None, 0] >= h[None, :, 0]) & (p[:, None, 0] <= h[None, :, 1])
                      & (p[:, None, 1] >= h[None, :, 2]) & (p[:, None, 1] <= h[None, :, 3]))
            return inside.any(axis=1)
        if not len(ctx.feet):
            return np.zeros(len(p), bool)
        r = self.table.ball.radius
        dx = np.abs(p[:, None, 0] - ctx.feet[None, :, 0])
        dy = np.abs(p[:, None, 1] - ctx.feet[None, :, 1])
        return ((dx < r + 0.5 * self.table.man.foot_length + 0.005)
                & (dy < r + 0.5 * self.table.man.foot_width)).any(axis=1)

    def _hide_boxes(self, ctx: Context) -> tuple[np.ndarray, np.ndarray] | None:
        """The context's hiding boxes (M, 4), as they are and grown by ``partial_reach``
        (what a man half hides); None when the context has none."""
        if ctx.hides is None or not len(ctx.hides):
            return None
        return ctx.hides, ctx.hides + self._partial_grow

    def _miss_cost(self, p: np.ndarray, ctx: Context, boxes=None) -> np.ndarray:
        """(N,) cost of not seeing a ball at p (N, 2): cheap where a man hides it, a little
        more where he half hides it, dear in the open. ``boxes``: ``_hide_boxes(ctx)``."""
        s = self.s
        if boxes is None:
            boxes = self._hide_boxes(ctx)
        if boxes is None:
            hidden = half = self._hidden(p, ctx)
        else:
            x, y = p[:, 0:1], p[:, 1:2]
            hidden, half = (((x >= h[:, 0]) & (x <= h[:, 1]) & (y >= h[:, 2])
                             & (y <= h[:, 3])).any(axis=1) for h in boxes)
        c = np.where(half, s.miss_cost_partial, s.miss_cost_open)
        c[hidden] = s.miss_cost_hidden
        return c

    def _in_goal(self, p: np.ndarray) -> np.ndarray:
        return (np.abs(p[:, 0]) > self.table.half_length) & (np.abs(p[:, 1]) < self._goal_half)

    # ------------------------------------------------------------------ one frame
    def update(self, cands: Candidates, ctx: Context | None = None) -> PathPoint:
        """Take one frame; return the online (unsmoothed, zero-lag) estimate for it."""
        ctx = ctx or Context()
        s = self.s
        self.frame += 1
        B, K = len(self._cost), len(cands.xy)
        state0, held0, cost0 = self._state, self._held, self._cost
        playing = state0 != OUT
        pos0 = _nan_to_zero(self._pos)
        pred, pvel, bounced = self._predict(pos0, self._vel)
        held = held0 >= 0
        if held.any():  # a held ball moves with the man holding it
            pred[held], pvel[held] = self._carry(pos0[held], held0[held], ctx)
            bounced[held] = False
        P = self._P_pred(held)
        boxes = self._hide_boxes(ctx)
        # the feet low enough to strike or hold the ball: indices and places
        low = np.flatnonzero(ctx.feet_low) if len(ctx.feet) else np.zeros(0, int)
        low_feet = ctx.feet[low] if len(ctx.feet) else ctx.feet
        # the new hypotheses, by group (seen, unseen, caught, out), appended in this order
        parts: list[tuple] = []  # (state, parent, cand, pos, vel, P, held, contact, cost)

        if K:
            bi, ki = np.divmod(np.arange(B * K), K)  # every hypothesis with every candidate
            z = cands.xy[ki]
            play = playing[bi]
            pred_b, pvel_b, P_b = pred[bi], pvel[bi], P[bi]
            P0, P1, P2 = P_b[:, 0], P_b[:, 1], P_b[:, 2]
            held_b = held[bi]
            # smooth association: a Kalman update of the constant-velocity motion
            e = z - pred_b
            # a weak candidate (a ball half seen, blurred) is placed less surely
            r_k = self._R * (1.0 + s.weak_sigma_gain * (1.0 - cands.score)) ** 2
            S = P0 + r_k[ki]  # innovation variance, each axis
            # -log of the candidate's position density, against clutter spread over the table
            # (capped: clutter is not always random, a static white spot is predictable too)
            # and a ball at rest in open field is rare (it rolls, or a man holds it), so a
            # still candidate gains less: that is what a static white spot looks like
            speed_now = _row_norm(pvel_b)
            bonus = s.rest_bonus + (s.track_bonus - s.rest_bonus) * np.minimum(
                1.0, speed_now / s.rolling_speed)
            c_smooth = 0.5 * (e ** 2).sum(1) / S + np.maximum(
                np.log(2 * np.pi * S / self._area), -bonus)
            # association with a velocity change: a contact
            last = pos0[bi]
            jump_v = (z - last) / self.dt
            speed = _row_norm(jump_v)
            # from a ball not seen last frame the jump is no measured displacement: its
            # speed is unknown (the covariance says so), not that of a one-frame leap
            jump_v[state0[bi] != SEEN] = 0.0
            # a ball whose velocity is still unknown (seen once since it was struck, left a
            # man or came back into view) has its speed measured now, not changed: a shot
            # leaving a man at 10 m/s is no jump in open field
            fresh_vel = P2 >= 0.5 * s.contact_vel_sigma ** 2
            strike_feet = (np.concatenate([low_feet, ctx.strikes]) if len(ctx.strikes)
                           else low_feet)
            contact = self._near_contact(last, z, strike_feet) | held_b | fresh_vel
            c_jump = np.where(contact, s.jump_cost_contact, s.jump_cost_open) + self._jump_area
            c_jump[speed > s.max_speed] = np.inf
            use_jump = c_jump < c_smooth
            c_motion = np.where(use_jump, c_jump, c_smooth)
            c_motion[~play] = s.serve_cost
            kp, kv = P0 / S, P1 / S
            newP = np.empty_like(P_b)
            newP[:, 0] = (1 - kp) * P0
            newP[:, 1] = (1 - kp) * P1
            newP[:, 2] = P2 - kv * P1
            fresh = use_jump | ~play
            newP[fresh] = self._P_fresh
            # a ball seen leaving the man who held it: where it is, at a speed yet unknown
            # (not the man's, which the carried ball had)
            newP[held_b, 1:] = (0.0, s.contact_vel_sigma ** 2)
            pos = np.where(fresh[:, None], z, pred_b + kp[:, None] * e)
            vel = np.where(use_jump[:, None], jump_v, pvel_b + kv[:, None] * e)
            vel[~play] = 0.0
            parts.append((SEEN, bi, ki, pos, vel, newP, -1, (use_jump | bounced[bi]) & play,
                          cost0[bi] + c_motion - self._llr(cands)[ki]))

        # a ball seen inside a goal: out of play is what explains it
        goal_bonus = s.goal_weight * max(0.0, float(np.log(
            max(cands.in_goal, 1e-4) / max(1 - cands.in_goal, 1e-4))))
        pb = np.flatnonzero(playing)
        out_parent, out_cost = [], []
        if len(pb):
            # not seen, free: the ball goes on where physics takes it
            p = pred[pb]
            into_goal = self._in_goal(p)
            c = self._miss_cost(p, ctx, boxes)
            c[into_goal] = np.inf
            parts.append((UNSEEN, pb, -1, p, pvel[pb], P[pb], held0[pb], bounced[pb],
                          cost0[pb] + c))
            # not seen, caught: a man stops the ball and holds it
            free = pb[~held[pb]]
            man = self._nearest_low_foot(pos0[free], low, low_feet)
            ok = man >= 0
            if ok.any():
                fb, fm = free[ok], man[ok]
                # a held ball sits at the foot that holds it
                foot = ctx.feet[fm]
                p = foot + np.minimum(np.maximum(pos0[fb] - foot, -s.hold_offset),
                                      s.hold_offset)
                c = self._miss_cost(p, ctx, boxes)
                parts.append((UNSEEN, fb, -1, p, 0.0, self._P_held, fm, True,
                              cost0[fb] + c + s.catch_cost
                              + s.catch_speed_cost * (self._vel[fb] ** 2).sum(axis=1)))
            # leaving play: free through a goal, costly elsewhere
            # a ball seen in a goal makes leaving play free for those near its mouth
            mouth = ((np.abs(pos0[pb, 0]) > self.table.half_length - 0.1)
                     & (np.abs(pos0[pb, 1]) < self._goal_half + self.table.ball.radius))
            c_out = np.where(into_goal | (mouth & (goal_bonus > 0)), 0.0,
                             s.enter_out_cost) + s.out_cost - np.where(mouth, goal_bonus, 0.0)
            out_parent.append(pb)
            out_cost.append(cost0[pb] + c_out)
        ob = np.flatnonzero(~playing)
        if len(ob):
            out_parent.append(ob)
            out_cost.append(cost0[ob] + s.out_cost - goal_bonus)
        if out_parent:
            op = np.concatenate(out_parent)
            parts.append((OUT, op, -1, np.nan, 0.0, self._P_fresh, -1, False,
                          np.concatenate(out_cost)))

        g = _gather(parts)
        keep = self._select(g)
        state, parent, cand, pos, vel, P, held, contact, cost = (a[keep] for a in g)
        self._cost = cost - cost.min()
        self._pos, self._vel = pos, vel
        self._P, self._held = P, held
        self._state = state
        self._prev_feet = ctx.feet
        meas = np.full((len(parent), 2), np.nan)
        if K:
            sel = cand >= 0
            meas[sel] = cands.xy[cand[sel]]
        self._hist.append({"parent": parent, "state": state, "cand": cand,
                           "pos": pos, "vel": vel, "contact": contact,
                           "meas": meas, "held": held})
        if len(self._hist) >= self.lag + self.block:
            self._commit(self.block)
        b = int(np.argmin(self._cost))
        return PathPoint(self.frame, self._pos[b].copy(), self._vel[b].copy(),
                         int(self._state[b]), int(cand[b]), bool(contact[b]),
                         meas[b].copy(), int(held[b]))

    def _llr(self, cands: Candidates) -> np.ndarray:
        """(K,) detection log-likelihood ratio of each candidate (ball vs clutter)."""
        return self.s.score_weight * np.log(cands.score / (1 - cands.score))

    def _nearest_low_foot(self, p: np.ndarray, low: np.ndarray, feet: np.ndarray) -> np.ndarray:
        """(N,) int: index of a low foot within reach of each point p (N, 2), else -1.
        ``low``: the indices of the low feet (in the context's feet), ``feet`` (L, 2) m
        their places."""
        out = np.full(len(p), -1)
        if not len(feet) or not len(p):
            return out
        off = p[:, None, :] - feet[None, :, :]
        d = np.sqrt(np.add.reduce(off * off, axis=2))  # np.linalg.norm's, bit for bit
        j = np.argmin(d, axis=1)
        ok = d.min(axis=1) < self.s.contact_reach
        out[ok] = low[j[ok]]
        return out

    def _carry(self, p: np.ndarray, man: np.ndarray, ctx: Context):
        """Positions (N, 2) and velocities of balls held by men ``man`` (N,), moved with
        the men's feet since the previous frame."""
        prev = self._prev_feet
        if len(ctx.feet) != len(prev) or not len(prev):
            return p.copy(), np.zeros_like(p)
        d = ctx.feet[man] - prev[man]
        d[:, 0] = 0.0  # the man moves along his rod; the ball stays at his foot
        q = p + d
        # ... and a low foot swinging on over the ball (a man tilting forward onto a ball he
        # stopped, to pin it) pushes it: it stays within ``hold_offset`` of the foot. A foot
        # faster than ``push_speed`` strikes: the ball leaves it, it is not carried along
        low = ctx.feet_low[man] if len(ctx.feet_low) == len(ctx.feet) else np.ones(len(man), bool)
        fx, off = ctx.feet[man, 0], self.s.hold_offset
        low &= np.abs(fx - prev[man, 0]) <= self.s.push_speed * self.dt
        q[low, 0] = np.clip(q[low, 0], fx[low] - off, fx[low] + off)
        return q, (q - p) / self.dt

    def _select(self, g: tuple) -> np.ndarray:
        """Indices of the hypotheses to keep (of ``_gather``'s arrays).

        Hypotheses that took the same candidate (or are out, or are unseen at about the same
        place with the same man) lead to near-identical futures: only the cheapest of each
        is kept. Every candidate keeps its best hypothesis; unseen ones fill at most half
        the beam, so a ball reappearing after a long hold always finds a hypothesis to join.
        """
        state, _, cand, pos, _, _, held, _, cost = g
        order = np.argsort(cost, kind="stable")
        order = order[np.isfinite(cost[order])]
        st, pos = state[order], _nan_to_zero(pos[order])
        cell = np.where(st == UNSEEN,
                        (np.floor(pos[:, 0] / 0.03) * 1000 + np.floor(pos[:, 1] / 0.03)), 0)
        key = np.empty((len(order), 4), np.int64)
        key[:, 0], key[:, 1], key[:, 2], key[:, 3] = st, cand[order], cell, held[order]
        distinct = order[np.sort(_first_of_rows(key))]
        unseen = state[distinct] == UNSEEN
        chosen = ~unseen | (np.cumsum(unseen) <= max(1, self.s.beam // 2))
        return distinct[chosen][: self.s.beam]

    # ------------------------------------------------------------------ fixed-lag commit
    def _trace(self, idx: int) -> list[int]:
        """Indices along the path ending at beam row ``idx`` of the newest frame, oldest
        first, one per frame in the history."""
        out = [idx]
        for h in reversed(list(self._hist)[1:]):
            idx = int(h["parent"][idx])
            out.append(idx)
        return out[::-1]

    def _commit(self, n: int) -> None:
        best = int(np.argmin(self._cost))
        path = self._trace(best)
        hist = list(self._hist)
        for f in range(n):
            h, i = hist[f], path[f]
            self._committed.append(PathPoint(
                self._first_hist_frame + f, h["pos"][i].copy(), h["vel"][i].copy(),
                int(h["state"][i]), int(h["cand"][i]), bool(h["contact"][i]),
                h["meas"][i].copy(), int(h["held"][i])))
        # drop hypotheses whose past disagrees with what was committed
        anchor = path[n - 1]
        anc = np.arange(len(self._cost))
        for h in reversed(hist[n:]):
            anc = h["parent"][anc]
        alive = anc == anchor
        self._prune(alive)
        for _ in range(n):
            self._hist.popleft()
        self._first_hist_frame += n

    def _prune(self, alive: np.ndarray) -> None:
        """Keep only beam rows ``alive`` (bool, newest frame), re-indexing the history."""
        keep = np.flatnonzero(alive)
        self._cost = self._cost[keep]
        self._pos = self._pos[keep]
        self._vel = self._vel[keep]
        self._state = self._state[keep]
        self._P = self._P[keep]
        self._held = self._held[keep]
        newest = self._hist[-1]
        for k in ("parent", "state", "cand", "pos", "vel", "contact", "meas", "held"):
            newest[k] = newest[k][keep]

    def predictions(self, n: int) -> np.ndarray:
        """Where the ``n`` best distinct in-play hypotheses expect the ball next frame:
        (k, 5) rows of x, y (m), vx, vy (m/s) and the position's standard deviation (m)."""
        order = np.argsort(self._cost, kind="stable")
        in_play = (self._state != OUT) & np.isfinite(self._pos).all(axis=1)
        out: list[np.ndarray] = []
        for i in order[in_play[order]]:
            p = self._pos[i] + self._vel[i] * self.dt
            if any(np.hypot(*(p - q[:2])) < 0.02 for q in out):
                continue
            sd = np.sqrt(self._P[i, 0] + 2 * self.dt * self._P[i, 1]
                         + self.dt ** 2 * self._P[i, 2])
            out.append(np.array([p[0], p[1], self._vel[i, 0], self._vel[i, 1], sd]))
            if len(out) == n:
                break
        return np.array(out).reshape(-1, 5)

    def hidden_positions(self, n: int) -> np.ndarray:
        """(k, 2) m: where the ``n`` best hypotheses that do not see the ball (hidden under a
        man, held) put it now."""
        order = np.argsort(self._cost, kind="stable")
        sel = [i for i in order if self._state[i] == UNSEEN][:n]
        return self._pos[sel].reshape(-1, 2)

    def pop_committed(self) -> list[PathPoint]:
        """The frames committed since the last call, in order."""
        out, self._committed = self._committed, []
        return out

    def finish(self) -> list[PathPoint]:
        """Commit everything still pending (end of the video) and return all uncollected
        committed frames."""
        if self._hist:
            self._commit(len(self._hist))
        return self.pop_committed()


def _gather(parts: list[tuple]) -> tuple[np.ndarray, ...]:
    """The hypotheses of every group in one set of arrays: state (N,), parent (N,), cand
    (N,), pos (N, 2), vel (N, 2), P (N, 3), held (N,), contact (N,) and cost (N,), in group
    order. A group is a tuple of the same, its state a scalar; any but parent and cost may
    be a scalar (or a row) standing for all of its hypotheses."""
    sizes = [len(part[1]) for part in parts]
    n = sum(sizes)
    out = (np.empty(n, int), np.empty(n, int), np.empty(n, int), np.empty((n, 2)),
           np.empty((n, 2)), np.empty((n, 3)), np.empty(n, int), np.empty(n, bool),
           np.empty(n))
    i = 0
    for part, m in zip(parts, sizes, strict=True):
        for a, v in zip(out, part, strict=True):
            a[i:i + m] = v
        i += m
    return out


def _nan_to_zero(a: np.ndarray) -> np.ndarray:
    """``a`` with NaN made 0 (``np.nan_to_num`` for arrays without infinities, quicker)."""
    return np.where(np.isnan(a), 0.0, a)


def _row_norm(a: np.ndarray) -> np.ndarray:
    """(N,) Euclidean norm of each row of ``a`` (N, 2) (``np.linalg.norm(a, axis=1)``,
    bit for bit, quicker)."""
    return np.sqrt(np.add.reduce(a * a, axis=1))


def _first_of_rows(key: np.ndarray) -> np.ndarray:
    """(M,) int: the index of the first occurrence of each distinct row of ``key`` (N, C)
    int, ordered by row (what ``np.unique(key, axis=0, return_index=True)`` gives, faster:
    a stable sort keeps the first of equal rows in front)."""
    order = np.lexsort(key.T[::-1])
    rows = key[order]
    start = np.ones(len(order), bool)
    start[1:] = (rows[1:] != rows[:-1]).any(axis=1)
    return order[start]


def _segment_point_distance(a: np.ndarray, b: np.ndarray, p: np.ndarray) -> np.ndarray:
    """(N, M) float64: distance from each point p (M, 2) to each segment a-b (N, 2)."""
    ab = b - a
    L2 = np.maximum((ab ** 2).sum(1), 1e-12)
    ap = p[None, :, :] - a[:, None, :]
    w = np.minimum(np.maximum((ap * ab[:, None, :]).sum(2) / L2[:, None], 0.0), 1.0)
    closest = a[:, None, :] + w[..., None] * ab[:, None, :]
    off = p[None, :, :] - closest
    return np.sqrt(np.add.reduce(off * off, axis=2))  # np.linalg.norm's, bit for bit
