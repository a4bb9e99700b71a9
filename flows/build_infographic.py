"""The Prefect flows' entry point for deployments and `make run`; the flows live in infopipe.run.flow.

    python flows/build_infographic.py [PROJECT] [options]   # the same as: infopipe run --prefect ...
"""

import sys

if __name__ == "__main__":  # one command tree: hand over to the CLI before Prefect loads its settings
    from infopipe.cli import main

    sys.exit(main(["run", "--prefect", *sys.argv[1:]]))

from infopipe.run.flow import build_all, build_infographic  # noqa: E402, F401  (named by deployments)
