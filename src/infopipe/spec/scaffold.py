"""`infopipe new NAME`: a project folder with a commented example spec and matching data, so a new
report starts from something that runs and shows every kind of figure."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from infopipe.errors import InfopipeError, Problem
from infopipe.spec.model import spec_path

EXAMPLE = Path(__file__).parent / "scaffold_files" / "spec.yaml"
SOURCE = "https://example.org/replace-with-the-page-this-row-comes-from"
COUNTRIES = [("United Kingdom", "Europe"), ("Kenya", "Africa"), ("France", "Europe"), ("Ghana", "Africa")]


def example_rows() -> tuple[str, str]:
    """Example partners and events that satisfy every claim of the example spec."""
    partners = ["partner_id,name,country,continent,source"]
    for i in range(12):
        country, continent = COUNTRIES[i % len(COUNTRIES)]
        partners.append(f"P-{i + 1:02d},Partner organisation {i + 1},{country},{continent},{SOURCE}")
    events = ["event_id,kind,held_on,participants,partner_id,source"]
    kinds = ["workshop"] * 25 + ["webinar"] * 12 + ["talk"] * 8
    for i, kind in enumerate(kinds):
        day = dt.date(2022, 1, 10) + dt.timedelta(days=23 * i)
        events.append(f"E-{i + 1:03d},{kind},{day},{12 + (i * 7) % 25},P-{i % 12 + 1:02d},{SOURCE}")
    return "\n".join(partners) + "\n", "\n".join(events) + "\n"


def drafted(example: str, figures: str, report: str) -> str:
    """The example spec with its figures replaced by those drafted from a report's pages, and the
    report named (`infopipe new NAME --from REPORT.pdf --pages N`)."""
    head, rest = example.split("\nfigures:\n", 1)
    tail = rest[rest.index("\npage:\n"):]
    intro = ("\n# Drafted from the published report: one figure per number printed on its pages, each\n"
             "# with the published text filled in. Write each rule (the spec will not load while a rule\n"
             "# says TO WRITE), replace the example datasets and data with the report's records, delete\n"
             "# the figures that are page furniture and exclude them under report.exclude instead.\n")
    return head + intro + figures + tail.rstrip("\n") + "\n\n" + report


def new_project(root: Path, name: str, figures: str | None = None, report: str | None = None) -> list[Path]:
    """Create projects/NAME/spec.yaml and data/raw/NAME/; refuse to overwrite anything. With
    `figures` and `report` (YAML drafted from a report's pages) they replace the example figures."""
    spec_file = spec_path(Path(root) / "projects", name)
    raw_dir = Path(root) / "data" / "raw" / name
    for existing in (spec_file.parent, raw_dir):
        if existing.exists():
            raise InfopipeError("new", [Problem(str(existing), "exists", "already there; choose another "
                                                "name or remove it first")])
    spec_file.parent.mkdir(parents=True)
    raw_dir.mkdir(parents=True)
    text = EXAMPLE.read_text(encoding="utf-8").replace("__NAME__", name)
    if figures is not None:
        text = drafted(text, figures, report or "")
    spec_file.write_text(text, encoding="utf-8")
    partners, events = example_rows()
    (raw_dir / "partners.csv").write_text(partners, encoding="utf-8")
    (raw_dir / "events.csv").write_text(events, encoding="utf-8")
    return [spec_file, raw_dir / "partners.csv", raw_dir / "events.csv"]
