"""Where one project's spec, raw data, typed tables and outputs are; nothing outside these is touched."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from infopipe.spec.model import spec_path


@dataclass(frozen=True)
class Paths:
    """Where one project's spec, raw data and outputs are; nothing outside these is touched."""

    project: str
    root: Path
    raw_dir: Path
    out_dir: Path
    processed_dir: Path
    report: Path | None = None  # the published report, when not where the spec says (a rerun's own copy)

    @classmethod
    def for_project(cls, project: str, root: Path = Path("."), raw: Path | None = None,
                    out: Path | None = None, processed: Path | None = None,
                    report: Path | None = None) -> "Paths":
        root = Path(root).resolve()
        spec_path(root / "projects", project)  # refuses a project name that could leave projects/
        return cls(project, root,
                   Path(raw).resolve() if raw else root / "data" / "raw" / project,
                   Path(out).resolve() if out else root / "outputs",
                   Path(processed).resolve() if processed else root / "data" / "processed",
                   Path(report).resolve() if report else None)

    def report_file(self, spec) -> Path | None:
        """The published report's PDF the spec names (report.file, from the root), if it names one."""
        if self.report is not None:
            return self.report
        return self.root / spec.report.file if spec.report and spec.report.file else None

    def shown(self, path: Path) -> str:
        """A path as recorded: relative to the root when inside it, so a moved copy still verifies."""
        path = Path(path).resolve()
        return str(path.relative_to(self.root)) if path.is_relative_to(self.root) else str(path)

    def located(self, recorded: str) -> Path:
        return self.root / recorded  # an absolute recorded path stays absolute

    @property
    def spec_file(self) -> Path:
        return spec_path(self.root / "projects", self.project)

    @property
    def project_out(self) -> Path:
        return self.out_dir / self.project

    @property
    def project_processed(self) -> Path:
        return self.processed_dir / self.project

    @property
    def log_file(self) -> Path:
        return self.project_out / "provenance.jsonl"


def project_names(root: Path) -> list[str]:
    """Every project under ROOT/projects (a folder with a spec.yaml)."""
    folder = Path(root) / "projects"
    return sorted(p.name for p in folder.iterdir() if (p / "spec.yaml").is_file()) if folder.is_dir() else []
