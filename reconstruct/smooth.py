"""Smoothing the committed ball path: split at contacts, fit each free flight, fill the gaps.

Between two contacts (a kick, a block, a wall bounce) a foosball rolls in a nearly straight
line at a nearly constant speed, so each frame's position is re-estimated by a local
low-order polynomial fit of the measurements of its own piece of flight. Besides the
contacts the path search marked, a piece is cut (a contact reported) at a kink between two
straight runs of sightings (a soft touch the search followed as a curve) and where the ball
leaves a man who held it; a hold of a hidden ball that comes out where and as it went in is
undone (it rolled under the man untouched). Frames where the ball was not seen are filled

- inside a piece of flight: by the same fit (the ball went on as physics says);
- while a man holds it: with the man (the path search carried it with his foot);
- between the last frame held (or hidden under a man) and the first seen after a release:
  backwards along the exit velocity from where it was seen, so a hidden shot leaves the man
  and arrives where the ball reappeared.

``PathSmoother`` does this on a stream with a bounded look-ahead.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from reconstruct.paths import OUT, SEEN, UNSEEN, PathPoint


@dataclass(frozen=True)
class SmoothSettings:
    half_window: int = 8  # frames each side used by the local fits
    max_degree: int = 2  # polynomial degree of the local fits (when enough points)
    kink_s: float = 0.04  # s of sightings each side of a kink fitted by a line
    kink_dv: float = 0.25  # m/s, least velocity change of a kink (a soft touch)
    kink_sigmas: float = 6.0  # and at least this many standard errors of that change
    pass_tolerance: float = 0.01  # m, a ball hidden under a man found this close to its line


@dataclass(frozen=True)
class SmoothPoint:
    """The smoothed path at one frame: position (2,) m (NaN when out), velocity (2,) m/s,
    state (``SEEN``, ``UNSEEN`` or ``OUT``) and whether a contact happened here."""

    frame: int
    xy: np.ndarray
    vel: np.ndarray
    state: int
    contact: bool


def _pieces(contact: np.ndarray, state: np.ndarray, held: np.ndarray) -> np.ndarray:
    """(n,) int: pieces of free flight, runs in play cut at contacts, at holds and at
    'out'."""
    cut = np.zeros(len(state), bool)
    cut[1:] = (contact[1:] | (state[1:] == OUT) | (state[:-1] == OUT)
               | ((held[1:] >= 0) != (held[:-1] >= 0)))
    return np.cumsum(cut)


def _line_slopes(t: np.ndarray, z: np.ndarray):
    """Least-squares lines through each row of windows t (m, w) s, z (m, w, 2) m: slopes
    (m, 2) m/s and residual sums of squares (m,) m^2, and the slope's variance factor (m,)
    (its variance per unit of measurement variance)."""
    tc = t - t.mean(axis=1, keepdims=True)
    stt = (tc * tc).sum(axis=1)
    zc = z - z.mean(axis=1, keepdims=True)
    slope = (tc[:, :, None] * zc).sum(axis=1) / stt[:, None]
    res = zc - tc[:, :, None] * slope[:, None, :]
    return slope, (res * res).sum(axis=(1, 2)), 1.0 / stt


def _untouched_holds(t, meas, seen, state, held, contact, w: int, max_dv: float, tol: float):
    """(held, contact) (n,) with the holds of hidden spans that the ball went through
    untouched undone: ``w`` sightings each side of the span, their lines' velocities within
    ``max_dv`` m/s of each other and the line in, rolled on, passing within ``tol`` m of the
    first sighting out."""
    starts = np.flatnonzero((held[1:] >= 0) & (held[:-1] < 0)) + 1
    if not len(starts):
        return held, contact
    held, contact = held.copy(), contact.copy()
    n = len(t)
    for a in starts:
        b = a
        while b < n and held[b] >= 0 and state[b] == UNSEEN:
            b += 1
        if b >= n or not seen[b] or held[b] >= 0:
            continue
        j = a - 1  # the last sighting before
        while j >= 0 and state[j] == UNSEEN and held[j] < 0:
            j -= 1
        if j < 0 or not seen[j]:
            continue
        before = np.flatnonzero(seen[:j + 1] & (held[:j + 1] < 0))[-w:]
        after = np.flatnonzero(seen[b:] & (held[b:] < 0))[:w] + b
        if (len(before) < w or len(after) < w or contact[before[1:]].any()
                or contact[after[1:]].any() or (state[before[0]:b] == OUT).any()):
            continue
        p_in, v_in = _local_fit(t[before], meas[before], t[j], 1)
        p_out, v_out = _local_fit(t[after], meas[after], t[b], 1)
        if (np.linalg.norm(v_out - v_in) < max_dv
                and np.linalg.norm(p_in + v_in * (t[b] - t[j]) - p_out) < tol):
            held[a:b] = -1
            contact[j + 1:b + 1] = False
    return held, contact


LATE_SIGMAS = 6
LATE_DV = 0.5


def _late_jumps(t, meas, seen, state, held, contact, w: int) -> np.ndarray:
    """(n,) bool: the contacts with those the path search marked late moved back to where
    the ball's motion changed.

    The search follows a soft change of motion as a curve until a jump is cheaper, which
    takes more frames the higher the frame rate (each frame's deviation from the old line
    is smaller than the measurement noise): a contact marked at sighting c, with ``w``
    plain sightings before it (no other contact, no hold, all seen), moves to the sighting
    k (c - w < k <= c) where a line through the ``w`` sightings before k and one through
    the ``w`` from k on fit the measurements best (the two-line change point)."""
    n = len(t)
    out = contact.copy()
    plain = seen & (held < 0) & (state == SEEN)
    for c in np.flatnonzero(contact & plain):
        lo, hi = c - 2 * w + 1, c + w
        if lo < 0 or hi > n or not plain[lo:hi].all() or contact[lo:c].any() \
                or contact[c + 1:hi].any():
            continue
        rss, dv = np.zeros(w), np.zeros(w)
        for j, k in enumerate(range(c - w + 1, c + 1)):
            slopes = []
            for a, b in ((k - w, k), (k, k + w)):
                tt = t[a:b] - t[a:b].mean()
                z = meas[a:b] - meas[a:b].mean(axis=0)
                slope = (tt[:, None] * z).sum(axis=0) / (tt * tt).sum()
                r = z - tt[:, None] * slope
                rss[j] += float((r * r).sum())
                slopes.append(slope)
            dv[j] = float(np.hypot(*(slopes[1] - slopes[0])))
        j = int(np.argmin(rss))
        # moved only when the marked sighting fits clearly worse (by LATE_SIGMAS^2 times
        # the scatter of the best fit, per measurement) and the motion changed clearly there
        noise = rss[j] / (4 * w - 8)
        if j < w - 1 and rss[-1] - rss[j] > LATE_SIGMAS ** 2 * noise and dv[j] >= LATE_DV:
            out[c], out[c - w + 1 + j] = False, True
    return out


def _kinks(t, meas, seen, piece, held, w: int, min_dv: float, sigmas: float) -> np.ndarray:
    """(n,) bool: the first sighting after a kink of each piece of free flight: where the
    lines through the ``w`` sightings before and the ``w`` from it on differ in velocity by
    ``min_dv`` m/s or more, and by ``sigmas`` standard errors (from the lines' scatter),
    the largest such change within ``w`` sightings."""
    n = len(t)
    out = np.zeros(n, bool)
    ok = seen & (held < 0)
    if ok.sum() < 2 * w:
        return out
    win = np.lib.stride_tricks.sliding_window_view
    for k in np.unique(piece[ok]):
        sidx = np.flatnonzero(ok & (piece == k))
        m = len(sidx)
        if m < 2 * w:
            continue
        ts, zs = t[sidx], meas[sidx]
        tw = win(ts, w)  # (m - w + 1, w)
        zw = win(zs, w, axis=0).transpose(0, 2, 1)  # (m - w + 1, w, 2)
        slope, rss, var = _line_slopes(tw, zw)
        # kink before sighting j (j = w .. m - w): lines over [j - w, j) and [j, j + w)
        vb, va = slope[:m - 2 * w + 1], slope[w:]
        dof = 2 * w - 4
        if dof <= 0:
            continue
        sigma2 = (rss[:m - 2 * w + 1] + rss[w:]) / dof
        dv = np.hypot(*(va - vb).T)
        se = np.sqrt(sigma2 * (var[:m - 2 * w + 1] + var[w:]))
        score = np.where((dv >= min_dv) & (dv >= sigmas * se), dv, 0.0)
        for j in np.argsort(-score, kind="stable"):
            if score[j] <= 0.0:
                break
            lo, hi = max(0, j - w), j + w + 1
            if score[lo:hi].max() > score[j] or out[sidx[w + lo:w + hi - 1]].any():
                continue
            out[sidx[w + j]] = True
    return out


def _local_fit(t: np.ndarray, z: np.ndarray, t0: float, degree: int):
    """Least-squares polynomial through (t, z (n, 2)) evaluated at t0: value and slope."""
    deg = min(degree, len(t) - 1)
    if deg <= 0:
        return z.mean(axis=0), np.zeros(2)
    tt = t - t0
    A = np.vander(tt, deg + 1, increasing=True)
    coef, *_ = np.linalg.lstsq(A, z, rcond=None)
    return coef[0], coef[1]


def smooth_points(points: list[PathPoint], fps: float,
                  settings: SmoothSettings | None = None, first: int = 0) -> list[SmoothPoint]:
    """Smooth a contiguous run of committed path points (frames in order).

    ``first``: the points before it are context only (their measurements count, their own
    fits are not made); the smoothed points from ``first`` on are returned, the same as
    smoothing the whole run would give them.
    """
    s = settings or SmoothSettings()
    n = len(points)
    if n == 0:
        return []
    t = np.array([p.frame for p in points], float) / fps
    state = np.array([p.state for p in points])
    meas = np.array([p.meas for p in points])
    pos = np.array([p.xy for p in points])
    vel = np.array([p.vel for p in points])
    contact = np.array([p.contact for p in points])
    held = np.array([p.held for p in points])
    seen = (state == SEEN) & np.isfinite(meas[:, 0])

    w = min(max(3, int(round(s.kink_s * fps))), s.half_window)
    # a ball hidden under a man that comes out where and as it went in rolled under him:
    # the search's catch and release there were no touch
    held, contact = _untouched_holds(t, meas, seen, state, held, contact, w, s.kink_dv,
                                     s.pass_tolerance)
    # a change of motion the search followed as a curve before it jumped: the contact
    # where the motion changed
    contact = _late_jumps(t, meas, seen, state, held, contact, w)
    piece = _pieces(contact, state, held)
    # a soft touch the search took for a curve (a slow ball turned, slowed or stopped): a
    # kink between two straight runs of sightings is a contact too
    kinks = _kinks(t, meas, seen, piece, held, w, s.kink_dv, s.kink_sigmas)
    if kinks.any():
        contact = contact | kinks
        piece = _pieces(contact, state, held)

    out_xy, out_v = pos.copy(), vel.copy()
    hit = contact.copy()  # the contacts reported (a hidden kick moved to when it happened)
    for k in np.unique(piece):
        idx = np.flatnonzero(piece == k)
        if state[idx[0]] == OUT:
            continue
        if held[idx[0]] >= 0:
            continue  # carried with the man: keep the search's positions
        sidx = idx[seen[idx]]
        if len(sidx) == 0:
            continue
        for i in idx[idx >= first]:  # a fit depends on the measurements alone
            if not seen[i]:
                # not seen: the straight line through the measurements each side of the gap
                # (the ball rolls on), or along the last (first) ones beyond them
                cut = np.searchsorted(sidx, i)
                near = np.concatenate([sidx[max(cut - s.half_window, 0):cut],
                                       sidx[cut:cut + s.half_window]])
                out_xy[i], out_v[i] = _local_fit(t[near], meas[near], t[i], 1)
                continue
            # the measurements nearest to i within the piece (both sides when possible)
            order = np.argsort(np.abs(sidx - i), kind="stable")
            near = sidx[order[: 2 * s.half_window + 1]]
            near = near[np.abs(near - i) <= max(s.half_window, np.abs(near - i).min())]
            near = np.sort(near)
            deg = s.max_degree if len(near) >= 5 else 1
            out_xy[i], out_v[i] = _local_fit(t[near], meas[near], t[i], deg)

    # a ball seen leaving the man who held it: the release is a contact (its strike)
    release = np.zeros(n, bool)
    release[1:] = (held[1:] < 0) & (held[:-1] >= 0) & (state[1:] != OUT)
    release[1:] &= _row_norm(out_v[1:] - vel[:-1]) >= RELEASE_DV  # not rolling on as carried
    hit |= release & (state == SEEN)
    # a release from a man (or from under him): hidden frames before the first sighting go
    # back along the exit
    for i in range(1, n):
        # seen again after a contact, or leaving the man who held it
        if not (seen[i] and state[i - 1] == UNSEEN and (contact[i] or held[i - 1] >= 0)):
            continue
        j = i - 1
        while j >= 0 and state[j] == UNSEEN:
            j -= 1
        start = j + 1  # first hidden frame of the span
        v_exit = out_v[i]
        # where the ball waited: with the man who held it, or where the search left it
        was_held = held[start:i] >= 0
        hold_xy = pos[start:i][was_held][-1] if was_held.any() else pos[i - 1]
        speed = np.linalg.norm(v_exit)
        if speed < 1e-6:
            continue
        t_release = t[i] - np.linalg.norm(out_xy[i] - hold_xy) / speed
        left = [f for f in range(start, i) if t[f] >= t_release]
        for f in left:
            out_xy[f] = out_xy[i] - v_exit * (t[i] - t[f])
            out_v[f] = v_exit
        if left and contact[i]:  # the kick was when the ball left, not when it was seen
            hit[i], hit[left[0]] = False, True
        elif left and was_held.any():
            # the man who held it struck (or let go of) it when it left him, after he last
            # held it
            last_held = start + int(np.flatnonzero(was_held)[-1])
            if np.linalg.norm(v_exit - vel[last_held]) >= RELEASE_DV:
                hit[i], hit[max(left[0], min(last_held + 1, i))] = False, True

    # a catch under a man: hidden frames after the last sighting roll on until the ball
    # reaches where the man held it
    for i in range(1, n):
        if not (held[i] >= 0 and held[i - 1] < 0):
            continue
        _roll_into_catch(i, t, state, seen, held, pos, meas, contact, out_xy, out_v, hit,
                         s.half_window)
    out_xy[state == OUT] = np.nan
    # (a release reaches back from a sighting: from one before ``first``, only frames before
    # it are reached, and those are not returned)
    return [SmoothPoint(p.frame, out_xy[i], out_v[i], int(state[i]), bool(hit[i]))
            for i, p in enumerate(points) if i >= first]


RELEASE_DV = 0.15  # m/s, least change from the carry's velocity that makes a release a touch


def _row_norm(a: np.ndarray) -> np.ndarray:
    return np.sqrt((a * a).sum(axis=1))


CATCH_MIN_SPEED = 0.05  # m/s, a slower ball's catch keeps the search's timing


def _roll_into_catch(i: int, t, state, seen, held, pos, meas, contact, out_xy, out_v, hit,
                     half_window: int) -> None:
    """Re-time the catch that starts the held run at index ``i`` (in place).

    The path search may put a ball, unseen since it rolled under a man, at his foot some
    frames before it got there (a catch costs the same at any frame of the hidden span).
    Between the last sighting and the first frame of the hold, and into the hold until the
    ball gets there, the ball rolls on at its last seen speed (a straight line through the
    last ``half_window`` sightings: the last ones, half under the man, pull a curved fit)
    onto where the man held it; the catch's contact moves to the frame it arrives (a held
    run too short for the roll keeps the search's timing)."""
    j = i - 1
    while j >= 0 and state[j] == UNSEEN and held[j] < 0:
        j -= 1
    if j < 0 or not seen[j]:
        return
    end = i
    while end < len(held) and held[end] == held[i] and state[end] == UNSEEN:
        end += 1
    k = j  # the sightings of the roll, back to its last contact
    while k > 0 and j - k < half_window and seen[k - 1] and not contact[k] and held[k - 1] < 0:
        k -= 1
    near = np.arange(k, j + 1)[seen[k:j + 1]]
    p_in, v_in = _local_fit(t[near], meas[near], t[j], 1)
    speed = float(np.hypot(*v_in))
    hold_xy = pos[i]
    if speed < CATCH_MIN_SPEED:
        return
    along = float((hold_xy - p_in) @ v_in) / speed  # m the ball must still roll
    if along <= 0.0:
        return
    t_catch = t[j] + along / speed
    if t_catch >= t[end - 1]:
        return  # it would not get there before the hold ends: keep the search's path
    step = (hold_xy - p_in) / (t_catch - t[j])  # m/s: straight onto where it is held
    arrive = i
    for f in range(j + 1, end):
        if t[f] >= t_catch:
            arrive = f
            break
        out_xy[f] = p_in + step * (t[f] - t[j])
        out_v[f] = step
    if hit[i] and arrive != i:  # the catch was when the ball got to the man
        hit[i], hit[arrive] = False, True


class PathSmoother:
    """Streaming wrapper of ``smooth_points``: push committed points, get smoothed ones.

    A frame is released once ``half_window`` frames after it are known and it is not in a
    hidden span whose end has not arrived yet (a ball held for 15 s is released when it
    reappears, or after ``max_wait`` frames).
    """

    def __init__(self, fps: float, settings: SmoothSettings | None = None,
                 max_wait: int | None = None):
        self.fps = fps
        self.s = settings or SmoothSettings()
        self.max_wait = max_wait if max_wait is not None else int(20 * fps)
        self._buf: list[PathPoint] = []
        self._released = 0  # number of buffer points already released

    def push(self, points: list[PathPoint]) -> list[SmoothPoint]:
        """Add committed points (in order); return the newly released smoothed points."""
        self._buf.extend(points)
        return self._release(final=False)

    def finish(self) -> list[SmoothPoint]:
        """Release everything (end of the stream)."""
        return self._release(final=True)

    def _release(self, final: bool) -> list[SmoothPoint]:
        buf = self._buf
        n = len(buf)
        if final:
            upto = n
        else:
            upto = n - self.s.half_window
            # do not release into an unfinished hidden span
            j = n - 1
            while j >= 0 and buf[j].state == UNSEEN:
                j -= 1
            if n - 1 - j < self.max_wait:
                upto = min(upto, j + 1)
        if upto <= self._released:
            return []
        lo = max(0, self._released - 2 * self.s.half_window)
        hi = min(n, upto + 2 * self.s.half_window)
        # extend the context window to whole hidden spans around the released range
        while lo > 0 and buf[lo].state == UNSEEN:
            lo -= 1
        sm = smooth_points(buf[lo:hi], self.fps, self.s, first=self._released - lo)
        out = sm[: upto - self._released]
        self._released = upto
        # forget what no later window needs
        keep_from = max(0, self._released - 4 * self.s.half_window)
        while keep_from > 0 and buf[keep_from].state == UNSEEN:
            keep_from -= 1
        if keep_from > 0:
            self._buf = buf[keep_from:]
            self._released -= keep_from
        return out
