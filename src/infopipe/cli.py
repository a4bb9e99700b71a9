"""The `infopipe` command: run, validate, and the reviewer's verify, explain and diff."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .errors import InfopipeError
from .pipeline import Paths, run, validate_only
from .review import add_review_commands


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="infopipe", description="Rebuild a report infographic "
                                     "from raw data, with provenance a reviewer can check.")
    parser.add_argument("--root", type=Path, default=Path("."),
                        help="the infopipe folder holding projects/, data/ and outputs/ (default: .)")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("run", help="build the infographic: validate, compute, render, publish")
    _project_args(p)
    p.add_argument("--out", type=Path, help="outputs folder (default: ROOT/outputs)")
    p.add_argument("--wait", type=float, default=0, metavar="SECONDS",
                   help="wait this long for another run of the project to finish (default: refuse)")
    p.set_defaults(handler=_run)

    p = sub.add_parser("validate", help="check the spec and raw data; write nothing")
    _project_args(p)
    p.set_defaults(handler=_validate)

    add_review_commands(sub)

    args = parser.parse_args(argv)
    try:
        return args.handler(args)
    except InfopipeError as err:
        print(err, file=sys.stderr)
        return 1


def _project_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("project", nargs="?", default="jam-and-justice")
    p.add_argument("--raw", type=Path, help="raw data folder (default: ROOT/data/raw/PROJECT)")


def _run(args) -> int:
    folder = run(Paths.for_project(args.project, args.root, args.raw, args.out), lock_wait=args.wait)
    print(f"Outputs: {folder}")
    return 0


def _validate(args) -> int:
    result = validate_only(Paths.for_project(args.project, args.root, args.raw))
    for ds in result["datasets"]:
        print(f"ok  {ds['file']}: {ds['rows']} rows")
    print(f"Valid: {result['spec']} and {len(result['datasets'])} datasets")
    return 0


if __name__ == "__main__":
    sys.exit(main())
