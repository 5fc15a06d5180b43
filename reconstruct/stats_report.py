"""The statistics as pictures, an HTML report and JSON; and the ``foosball stats`` command."""

from __future__ import annotations

import base64
import html
import json
from pathlib import Path

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from reconstruct.metrics_common import to_jsonable
from reconstruct.stats import GameStats, game_stats
from sim.record import read_record

TEAM_FALLBACK = ("tab:red", "tab:blue")


def _team_colours(rec_meta: dict, teams: list[str]) -> list:
    out = []
    by_name = {t["name"]: t for t in rec_meta.get("teams", [])}
    for i, name in enumerate(teams):
        rgb = by_name.get(name, {}).get("rgb")
        out.append(tuple(rgb) if rgb else TEAM_FALLBACK[i % 2])
    return out


def _save(fig: Figure, path: Path) -> Path:
    FigureCanvasAgg(fig)
    fig.savefig(path, dpi=100, bbox_inches="tight")
    return path


def plot_heatmap(stats: GameStats, path: Path) -> Path:
    """Where the ball spent its time (table seen from above, +x to the right)."""
    ex, ey = stats.heatmap_edges
    fig = Figure(figsize=(7, 4.4))
    ax = fig.add_subplot()
    im = ax.imshow(stats.heatmap.T, origin="lower", extent=(ex[0], ex[-1], ey[0], ey[-1]),
                   cmap="magma", aspect="equal", interpolation="nearest")
    for x in (ex[0] + (ex[-1] - ex[0]) / 3, ex[0] + 2 * (ex[-1] - ex[0]) / 3):
        ax.axvline(x, color="white", lw=0.8, ls="--")
    ax.set_xlabel("x (m)")
    ax.set_ylabel("y (m)")
    ax.set_title(f"Ball heatmap: {stats.teams[0]} defends -x, {stats.teams[1]} defends +x")
    fig.colorbar(im, ax=ax, label="s")
    return _save(fig, path)


def plot_shots(stats: GameStats, colours, path: Path) -> Path:
    """Shot speeds by team."""
    fig = Figure(figsize=(6, 3.6))
    ax = fig.add_subplot()
    bins = np.arange(0, 21, 1.0)
    for team, col in zip(stats.teams, colours):
        sp = [s.speed for s in stats.shots_of(team)]
        ax.hist(sp, bins=bins, alpha=0.6, color=col, label=f"{team} ({len(sp)} shots)")
    ax.set_xlabel("shot speed (m/s)")
    ax.set_ylabel("shots")
    ax.legend()
    ax.set_title("Shot speeds")
    return _save(fig, path)


def plot_possession(stats: GameStats, colours, path: Path) -> Path:
    """Possession by team and by rod."""
    fig = Figure(figsize=(7, 3.6))
    ax1, ax2 = fig.subplots(1, 2, gridspec_kw={"width_ratios": [1, 3]})
    ax1.bar(stats.teams, [100 * stats.possession[t] for t in stats.teams], color=colours)
    ax1.set_ylabel("% of time in play")
    ax1.set_title("Possession")
    names = [f"{r.rod}\n{r.role[:3]}" for r in stats.rods]
    col = [colours[stats.teams.index(r.team)] for r in stats.rods]
    ax2.bar(names, [r.possession_s for r in stats.rods], color=col)
    ax2.set_ylabel("s")
    ax2.set_title("Possession by rod")
    return _save(fig, path)


def plot_timeline(stats: GameStats, colours, path: Path) -> Path:
    """The score over time."""
    fig = Figure(figsize=(7, 2.8))
    ax = fig.add_subplot()
    for i, (team, col) in enumerate(zip(stats.teams, colours)):
        t = [0.0] + [g["t"] for g in stats.goals if g["team"] == team] + [stats.duration_s]
        c = list(range(len(t) - 1)) + [len(t) - 2]
        ax.step(t, c, where="post", color=col, label=team, lw=2 + i * 0.01)
    ax.set_xlabel("time (s)")
    ax.set_ylabel("goals")
    ax.legend(loc="upper left")
    ax.set_title("Score")
    return _save(fig, path)


def _img(path: Path) -> str:
    data = base64.b64encode(path.read_bytes()).decode()
    return f'<img alt="{html.escape(path.stem)}" src="data:image/png;base64,{data}">'


def write_html(stats: GameStats, pngs: list[Path], path: Path, title: str) -> Path:
    """A self-contained HTML report (the pictures embedded)."""
    d = stats.to_dict()
    teams = stats.teams
    rows = [
        ("Goals", [d["score"][t] for t in teams]),
        ("Touches", [d["touches"].get(t, 0) for t in teams]),
        ("Shots (on target)", [f'{d["shots"]["count"][t]} ({d["shots"]["on_target"][t]})'
                               for t in teams]),
        ("Passes", [d["passes"][t] for t in teams]),
        ("Possession", [f'{100 * d["possession"][t]:.0f} %' for t in teams]),
    ]
    table = "".join(f"<tr><th>{html.escape(k)}</th>" + "".join(f"<td>{v}</td>" for v in vals)
                    + "</tr>" for k, vals in rows)
    rod_rows = "".join(
        f"<tr><td>{r.rod}</td><td>{html.escape(r.team)}</td><td>{r.role}</td><td>{r.touches}"
        f"</td><td>{r.shots}</td><td>{r.shots_on_target}</td><td>{r.goals}</td>"
        f"<td>{r.passes}</td><td>{r.possession_s:.1f}</td><td>{r.max_shot_speed:.1f}</td></tr>"
        for r in stats.rods)
    viol = "".join(f"<li>{v.t:.1f} s: {html.escape(v.detail)} ({html.escape(v.team)})</li>"
                   for v in stats.violations) or "<li>none</li>"
    goals = "".join(f"<li>{g['t']:.1f} s: {html.escape(g['team'])} "
                    f"({', '.join(f'{k} {v}' for k, v in g['score'].items())})</li>"
                    for g in d["goals"]) or "<li>none</li>"
    th = "".join(f"<th>{html.escape(t)}</th>" for t in teams)
    body = f"""<!doctype html><html><head><meta charset="utf-8"><title>{html.escape(title)}</title>
<style>body{{font-family:sans-serif;max-width:960px;margin:2em auto}}
table{{border-collapse:collapse}} img{{max-width:100%}}
td,th{{border:1px solid #ccc;padding:3px 8px;text-align:right}}</style></head>
<body><h1>{html.escape(title)}</h1>
<p>{d['duration_s']:.1f} s recorded, {d['in_play_s']:.1f} s in play; ball in thirds:
-x {100 * d['thirds']['-x']:.0f} %, middle {100 * d['thirds']['middle']:.0f} %,
+x {100 * d['thirds']['+x']:.0f} %; {d['walls']} wall bounces, {d['serves']} serves.</p>
<table><tr><th></th>{th}</tr>{table}</table>
<h2>Goals</h2><ul>{goals}</ul>
<h2>Rule checks</h2><ul>{viol}</ul>
<h2>Rods</h2><table><tr><th>rod</th><th>team</th><th>role</th><th>touches</th><th>shots</th>
<th>on target</th><th>goals</th><th>passes</th><th>possession s</th><th>top shot m/s</th></tr>
{rod_rows}</table>
<h2>Pictures</h2>{''.join(_img(p) for p in pngs)}
</body></html>
"""
    path.write_text(body)
    return path


def summary_text(stats: GameStats) -> str:
    d = stats.to_dict()
    t0, t1 = stats.teams
    sp = d["shots"]
    lines = [
        f"score: {t0} {d['score'][t0]} - {d['score'][t1]} {t1}",
        f"shots: {t0} {sp['count'][t0]} ({sp['on_target'][t0]} on target), "
        f"{t1} {sp['count'][t1]} ({sp['on_target'][t1]} on target)"
        + (f"; fastest {sp['speed_max']:.1f} m/s" if sp["speed_max"] else ""),
        f"passes: {t0} {d['passes'][t0]}, {t1} {d['passes'][t1]}",
        f"possession: {t0} {100 * d['possession'][t0]:.0f} %, "
        f"{t1} {100 * d['possession'][t1]:.0f} %",
        f"rule checks: {len(stats.violations)} violation(s)",
    ]
    return "\n".join(lines)


def write_stats(record_dir: str | Path, out_dir: str | Path | None = None,
                html_path: str | Path | None = None,
                json_path: str | Path | None = None) -> tuple[GameStats, dict]:
    """Compute the statistics of a record and write pictures, HTML and JSON.

    Returns the statistics and the paths written.
    """
    rec = read_record(record_dir)
    stats = game_stats(rec)
    out = Path(out_dir) if out_dir else Path(record_dir) / "stats"
    out.mkdir(parents=True, exist_ok=True)
    colours = _team_colours(rec.meta, stats.teams)
    pngs = [plot_timeline(stats, colours, out / "score.png"),
            plot_heatmap(stats, out / "heatmap.png"),
            plot_shots(stats, colours, out / "shots.png"),
            plot_possession(stats, colours, out / "possession.png")]
    html_path = Path(html_path) if html_path else out / "report.html"
    json_path = Path(json_path) if json_path else out / "stats.json"
    write_html(stats, pngs, html_path, f"Game statistics: {Path(record_dir).name}")
    json_path.write_text(json.dumps(to_jsonable(stats.to_dict()), indent=1) + "\n")
    return stats, {"html": html_path, "json": json_path, "pngs": pngs}


def stats_cli(args) -> int:
    stats, paths = write_stats(args.record, args.out, args.html, args.json)
    print(summary_text(stats))
    print(f"report: {paths['html']}\nfigures: {paths['json']}")
    return 0
