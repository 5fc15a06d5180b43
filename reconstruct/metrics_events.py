"""Event scores: truth and estimated events matched one-to-one within ±2 frames.

An estimated event can match a truth event of the same type when their frames differ by at
most ``tolerance`` frames and they agree on the type's key: the scoring team for ``goal``,
the rod for ``kick`` (the rod fixes the team), nothing for ``wall``. Each event matches at
most once. Within one key the matching is the greedy sweep in frame order (each truth event,
earliest first, takes the earliest unmatched estimate in its window), which gives the
largest number of matches because every window has the same width.

precision = matched / estimated events, recall = matched / truth events.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass

from reconstruct.metrics_common import fields_to_dict, ratio, to_jsonable
from sim.record import Event

TOLERANCE_FRAMES = 2
SCORED_TYPES = ("goal", "kick", "wall")


def event_key(event: Event):
    """What must agree besides the frame: the team of a goal, the rod of a kick."""
    if event.type == "goal":
        return event.team
    if event.type == "kick":
        return event.rod
    return None


def match_events(truth: list[Event], estimate: list[Event],
                 tolerance: int = TOLERANCE_FRAMES) -> list[tuple[Event, Event]]:
    """Match events of one type one-to-one.

    Args:
        truth: truth events (any order).
        estimate: estimated events (any order).
        tolerance: largest frame difference of a match.

    Returns:
        (truth, estimate) pairs, in truth frame order.
    """
    by_key_est: dict = defaultdict(list)
    for e in sorted(estimate, key=lambda e: e.frame):
        by_key_est[event_key(e)].append(e)
    pairs = []
    cursor: dict = defaultdict(int)  # per key: estimates before it are matched or too early
    taken: set[int] = set()
    for t in sorted(truth, key=lambda e: e.frame):
        key = event_key(t)
        cands = by_key_est.get(key, [])
        i = cursor[key]
        while i < len(cands) and cands[i].frame < t.frame - tolerance:
            i += 1
        cursor[key] = i
        for e in cands[i:]:
            if e.frame > t.frame + tolerance:
                break
            if id(e) not in taken:
                taken.add(id(e))
                pairs.append((t, e))
                break
    return pairs


@dataclass(frozen=True)
class EventScores:
    """Scores of one event type.

    Attributes:
        type: event type.
        truth: number of truth events.
        estimate: number of estimated events.
        matched: matched pairs.
        mean_offset_frames: mean (estimate - truth) frame offset of the matches.
    """

    type: str
    truth: int
    estimate: int
    matched: int
    mean_offset_frames: float

    @property
    def precision(self) -> float:
        return ratio(self.matched, self.estimate)

    @property
    def recall(self) -> float:
        return ratio(self.matched, self.truth)

    def to_dict(self) -> dict:
        return {**fields_to_dict(self),
                **to_jsonable({"precision": self.precision, "recall": self.recall})}


def score_event_type(truth: list[Event], estimate: list[Event], kind: str,
                     tolerance: int = TOLERANCE_FRAMES) -> EventScores:
    """Scores of the events of type ``kind``."""
    t = [e for e in truth if e.type == kind]
    e = [x for x in estimate if x.type == kind]
    pairs = match_events(t, e, tolerance)
    offsets = [b.frame - a.frame for a, b in pairs]
    return EventScores(type=kind, truth=len(t), estimate=len(e), matched=len(pairs),
                       mean_offset_frames=sum(offsets) / len(offsets) if offsets else math.nan)


def score_events(truth: list[Event], estimate: list[Event],
                 tolerance: int = TOLERANCE_FRAMES) -> dict[str, EventScores]:
    """Scores of every scored type (``goal``, ``kick``, ``wall``): type -> EventScores."""
    return {k: score_event_type(truth, estimate, k, tolerance) for k in SCORED_TYPES}
