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
    p.add_argument("--fps", type=_positive(float), default=120.0,
                   help="camera frame rate of the record (default 120)")
    p.add_argument("--table", default="german", help="table name or JSON file (default german)")
    p.add_argument("--skill", type=float, nargs=2, default=(0.7, 0.7), metavar=("S0", "S1"),
                   help="skill of the team defending -x and of the team defending +x, 0..1")
    p.add_argument("--teams", nargs=2, default=None, metavar=("NAME0", "NAME1"),
                   help="team colours (names), side 0 then side 1 (default red blue)")
    p.add_argument("--out", required=True, help="output record directory")
    p.set_defaults(func=_run_simulate)


def _run_simulate(args) -> int:
    from sim.simulate import simulate_cli

    return simulate_cli(args)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="foosball",
        description="Foosball tracker, 3D reconstruction and simulator.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    _add_simulate(sub)
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
