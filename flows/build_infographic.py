"""Prefect flow: the pipeline's steps, each run as a Prefect task. `make run` calls this file.

    python flows/build_infographic.py [PROJECT] [--raw DIR] [--out DIR]
    python flows/build_infographic.py [PROJECT] --serve "0 6 * * *"   # rebuild on a schedule
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
os.environ.setdefault("PREFECT_HOME", str(ROOT / ".prefect"))  # never the user's home
# A cold temporary server first builds its database (18 s measured); Prefect waits only 20 s by default.
os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "120")

from prefect import flow, task  # noqa: E402  (PREFECT_HOME must be set before Prefect loads)
from prefect.cache_policies import NONE  # noqa: E402

from infopipe.errors import InfopipeError  # noqa: E402
from infopipe.pipeline import Paths, run  # noqa: E402


def prefect_step(name, fn, *args, **kwargs):
    """Run one pipeline step as a Prefect task (no caching: inputs are checked by hash instead)."""
    return task(fn, name=name, cache_policy=NONE)(*args, **kwargs)


@flow(name="build-infographic", log_prints=True)
def build_infographic(project: str = "jam-and-justice", raw: str | None = None,
                      out: str | None = None, root: str | None = None) -> str:
    paths = Paths.for_project(project, Path(root) if root else ROOT, raw and Path(raw), out and Path(out))
    return str(run(paths, step=prefect_step))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("project", nargs="?", default="jam-and-justice")
    parser.add_argument("--raw", help="raw data folder (default ROOT/data/raw/PROJECT)")
    parser.add_argument("--out", help="outputs folder (default ROOT/outputs)")
    parser.add_argument("--root", help="folder holding projects/, data/ and outputs/ (default: this repo)")
    parser.add_argument("--serve", metavar="CRON", help="keep running and rebuild on this cron schedule")
    args = parser.parse_args(argv)
    if args.serve:
        build_infographic.serve(name=f"{args.project}-scheduled", cron=args.serve,
                                parameters={"project": args.project, "raw": args.raw, "out": args.out,
                                            "root": args.root})
        return 0
    try:
        folder = build_infographic(args.project, args.raw, args.out, args.root)
    except InfopipeError as err:
        print(f"\n{err}", file=sys.stderr)
        return 1
    print(f"\nOutputs: {folder}\nLatest:  {Path(folder).parents[1] / 'latest'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
