"""Load a project's spec (YAML) into typed objects, rejecting anything unknown with its line number.

The spec is the only place a project's datasets, counting rules, labels and layout live, so it is
checked as strictly as the raw data: a typo must fail loudly, never be ignored.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

import yaml

from .columns import TYPES
from .errors import InfopipeError, Problem

COLUMN_TYPES = tuple(TYPES)  # the column-type registry (columns.py) is the one list of types
RULE_TYPES = ("count_rows", "count_distinct", "sum")
FILTER_OPS = ("equals", "in", "not_null", "between")
FORMAT_STYLES = ("integer", "money_short", "plus")
SVG_PATH = re.compile(r"^[MLHVCSQTZ0-9.,\s-]+$")
PLACEHOLDER = re.compile(r"\{([a-z0-9_]+)\}")


class _LineDict(dict):
    """A YAML mapping that remembers its own line and each key's line."""

    line: int = 0
    key_lines: dict


class _LineLoader(yaml.SafeLoader):
    def construct_mapping(self, node, deep=False):
        mapping = _LineDict()
        mapping.line = node.start_mark.line + 1
        mapping.key_lines = {}
        for key_node, value_node in node.value:
            key = self.construct_object(key_node, deep=True)
            if key in mapping:
                raise yaml.constructor.ConstructorError(
                    None, None, f"duplicate key {key!r}", key_node.start_mark
                )
            mapping[key] = self.construct_object(value_node, deep=True)
            mapping.key_lines[key] = key_node.start_mark.line + 1
        return mapping


_LineLoader.add_constructor(
    yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _LineLoader.construct_mapping
)


@dataclass(frozen=True)
class ColumnSpec:
    name: str
    type: str
    nullable: bool = False
    allowed: tuple | None = None
    min: float | None = None
    max: float | None = None
    references: tuple[str, str] | None = None
    not_before: str | None = None


@dataclass(frozen=True)
class DatasetSpec:
    name: str
    file: str
    primary_key: str
    columns: dict[str, ColumnSpec]
    sheet: str | None = None  # the workbook sheet holding this dataset (.xlsx files)


@dataclass(frozen=True)
class Filter:
    column: str
    op: str
    value: Any = None

    def describe(self) -> str:
        if self.op == "not_null":
            return f"{self.column} is filled in"
        if self.op == "between":
            return f"{self.column} between {self.value[0]} and {self.value[1]}"
        if self.op == "in":
            return f"{self.column} is one of {', '.join(map(str, self.value))}"
        return f"{self.column} = {self.value}"


@dataclass(frozen=True)
class Rule:
    type: str
    dataset: str
    column: str | None = None
    where: tuple[Filter, ...] = ()
    distinct_on: tuple[str, ...] = ()

    def to_dict(self) -> dict:
        out: dict[str, Any] = {"type": self.type, "dataset": self.dataset}
        if self.column:
            out["column"] = self.column
        if self.where:
            out["where"] = [{"column": f.column, f.op: _plain(f.value)} for f in self.where]
        if self.distinct_on:
            out["distinct_on"] = list(self.distinct_on)
        return out

    def describe(self) -> str:
        what = {
            "count_rows": f"count the rows of {self.dataset}",
            "count_distinct": f"count the distinct values of {self.dataset}.{self.column}",
            "sum": f"add up {self.dataset}.{self.column}",
        }[self.type]
        if self.where:
            what += " where " + " and ".join(f.describe() for f in self.where)
        if self.distinct_on:
            what += f", counting rows with the same {', '.join(self.distinct_on)} once"
        return what


@dataclass(frozen=True)
class FigureSpec:
    id: str
    label: str
    published: str
    rule: Rule
    explanation: str
    format: dict = field(default_factory=lambda: {"style": "integer"})
    note: str | None = None
    panel: bool = True
    accepted_difference: str | None = None
    line: int = 0


@dataclass(frozen=True)
class Spec:
    project: str
    title: str
    subtitle: str
    credit: str
    max_file_bytes: int | None  # None: ingest derives a limit from the machine's memory
    datasets: dict[str, DatasetSpec]
    figures: tuple[FigureSpec, ...]
    page: dict
    theme: dict
    icons: dict[str, str]
    path: Path
    sha256: str

    def figure(self, figure_id: str) -> FigureSpec:
        for fig in self.figures:
            if fig.id == figure_id:
                return fig
        raise KeyError(figure_id)


def _plain(value: Any) -> Any:
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def spec_path(projects_dir: Path, project: str) -> Path:
    """Where a project's spec lives; the project name may not step outside projects/."""
    if not re.fullmatch(r"[a-z0-9][a-z0-9_-]*", project):
        raise InfopipeError(
            "spec",
            [Problem(str(project), "project-name", "project names are lower-case letters, digits, - and _")],
        )
    return projects_dir / project / "spec.yaml"


def load_spec(path: Path) -> Spec:
    """Read and check a spec file; raise InfopipeError listing every problem with its line."""
    path = Path(path)
    shown = str(path)
    if not path.is_file():
        raise InfopipeError("spec", [Problem(shown, "spec-missing", "no spec file here")])
    raw = path.read_bytes()
    try:
        doc = yaml.load(raw.decode("utf-8"), Loader=_LineLoader)
    except UnicodeDecodeError as err:
        line = raw[: err.start].count(b"\n") + 1
        raise InfopipeError("spec", [Problem(shown, "encoding", "the spec is not UTF-8", line=line)])
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        line = mark.line + 1 if mark else None
        message = " ".join(str(getattr(err, "problem", None) or err).split())
        context = getattr(err, "context_mark", None)
        if context is not None and mark is not None and context.line != mark.line:
            message += f" ({err.context or 'in the construct'} that started on line {context.line + 1})"
        raise InfopipeError("spec", [Problem(shown, "yaml-syntax", message, line=line)])
    checker = _SpecChecker(shown)
    spec = checker.check(doc, path, hashlib.sha256(raw).hexdigest())
    if checker.problems:
        raise InfopipeError("spec", checker.problems)
    return spec


class _SpecChecker:
    """Walks the parsed YAML, collecting every problem instead of stopping at the first."""

    TOP_KEYS = {"project", "title", "subtitle", "credit", "max_file_bytes", "datasets", "figures",
                "page", "theme", "icons"}
    COLUMN_KEYS = {"type", "nullable", "allowed", "min", "max", "references", "not_before"}
    FIGURE_KEYS = {"id", "label", "published", "rule", "explanation", "format", "note", "panel",
                   "accepted_difference"}
    RULE_KEYS = {"type", "dataset", "column", "where", "distinct_on"}
    PAGE_DEFAULTS = {"columns": 4, "panel_width": 300, "panel_height": 300, "gap": 24, "margin": 48,
                     "header_height": 130, "footer_height": 48}
    THEME_DEFAULTS = {"font_family": "Liberation Sans, Arial, sans-serif", "background": "#ffffff",
                      "panel_background": "#ffffff", "text": "#222222", "muted": "#666666",
                      "palette": ["#b6244f"]}

    def __init__(self, file: str):
        self.file = file
        self.problems: list[Problem] = []

    def fail(self, check: str, message: str, node: Any = None, key: str | None = None, column=None):
        line = None
        if isinstance(node, _LineDict):
            line = node.key_lines.get(key, node.line) if key is not None else node.line
        self.problems.append(Problem(self.file, check, message, line=line, column=column))

    def mapping(self, node: Any, what: str, parent: Any = None, key: str | None = None) -> _LineDict:
        if isinstance(node, _LineDict):
            return node
        self.fail("spec-shape", f"{what} must be a mapping (key: value)", parent, key)
        empty = _LineDict()
        empty.line, empty.key_lines = (parent.line if isinstance(parent, _LineDict) else 0), {}
        return empty

    def unknown_keys(self, node: _LineDict, allowed: set, what: str):
        for key in node:
            if key not in allowed:
                self.fail("unknown-key", f"unknown key '{key}' in {what}; allowed: "
                          f"{', '.join(sorted(allowed))}", node, key)

    def text(self, node: _LineDict, key: str, what: str, required: bool = True) -> str | None:
        value = node.get(key)
        if value is None:
            if required:
                self.fail("required", f"{what} needs '{key}'", node)
            return None
        if not isinstance(value, (str, int, float)) or isinstance(value, bool):
            self.fail("spec-type", f"'{key}' in {what} must be text", node, key)
            return None
        return str(value)

    def check(self, doc: Any, path: Path, sha256: str) -> Spec | None:
        doc = self.mapping(doc, "the spec")
        self.unknown_keys(doc, self.TOP_KEYS, "the spec")
        datasets = self.datasets(doc)
        figures = self.figures(doc, datasets)
        page = {**self.PAGE_DEFAULTS, **self.mapping(doc.get("page", _LineDict()), "page", doc, "page")}
        for key, value in page.items():
            if key not in self.PAGE_DEFAULTS:
                self.fail("unknown-key", f"unknown key '{key}' in page", doc.get("page"), key)
            elif not isinstance(value, int) or isinstance(value, bool) or value < 0:
                self.fail("spec-type", f"page.{key} must be a whole number of pixels", doc.get("page"), key)
        theme = {**self.THEME_DEFAULTS, **self.mapping(doc.get("theme", _LineDict()), "theme", doc, "theme")}
        for key in theme:
            if key not in self.THEME_DEFAULTS:
                self.fail("unknown-key", f"unknown key '{key}' in theme", doc.get("theme"), key)
        icons = self.mapping(doc.get("icons", _LineDict()), "icons", doc, "icons")
        for key, value in icons.items():
            if not isinstance(value, str) or not SVG_PATH.match(value):
                self.fail("icon-path", f"icon '{key}' must be absolute SVG path data (letters MLHVCSQTZ, "
                          "numbers, spaces, commas)", icons, key)
        max_bytes = doc.get("max_file_bytes")
        if max_bytes is not None and (not isinstance(max_bytes, int) or isinstance(max_bytes, bool)
                                      or max_bytes <= 0):
            self.fail("spec-type", "max_file_bytes must be a positive whole number", doc, "max_file_bytes")
        project = self.text(doc, "project", "the spec") or ""
        if self.problems:
            return None
        return Spec(
            project=project,
            title=self.text(doc, "title", "the spec") or "",
            subtitle=self.text(doc, "subtitle", "the spec", required=False) or "",
            credit=self.text(doc, "credit", "the spec", required=False) or "",
            max_file_bytes=max_bytes,
            datasets=datasets,
            figures=tuple(figures),
            page=dict(page),
            theme=dict(theme),
            icons=dict(icons),
            path=path,
            sha256=sha256,
        )

    def datasets(self, doc: _LineDict) -> dict[str, DatasetSpec]:
        node = self.mapping(doc.get("datasets"), "datasets", doc, "datasets")
        if not node:
            self.fail("required", "the spec needs at least one dataset under 'datasets'", doc)
        out: dict[str, DatasetSpec] = {}
        for name, ds in node.items():
            ds = self.mapping(ds, f"dataset '{name}'", node, name)
            self.unknown_keys(ds, {"file", "primary_key", "columns", "sheet"}, f"dataset '{name}'")
            file = self.text(ds, "file", f"dataset '{name}'") or ""
            sheet = self.text(ds, "sheet", f"dataset '{name}'", required=False)
            self.safe_relative(file, ds)
            columns_node = self.mapping(ds.get("columns"), f"columns of '{name}'", ds, "columns")
            columns = {c: self.column(name, c, columns_node.get(c), columns_node) for c in columns_node}
            pk = self.text(ds, "primary_key", f"dataset '{name}'") or ""
            if pk and pk not in columns:
                self.fail("unknown-column", f"primary key '{pk}' is not a column of '{name}'", ds,
                          "primary_key", column=pk)
            out[name] = DatasetSpec(name, file, pk, columns, sheet)
        for name, ds in out.items():
            for col in ds.columns.values():
                self.column_links(name, col, out, node[name]["columns"])
        return out

    def safe_relative(self, file: str, node: _LineDict):
        pure = PurePosixPath(file.replace("\\", "/"))
        if file and (pure.is_absolute() or ".." in pure.parts or re.match(r"^[A-Za-z]:", file)):
            self.fail("unsafe-path", f"file '{file}' must be a plain path inside the project's raw "
                      "folder (no absolute paths, no '..')", node, "file")

    def column(self, dataset: str, name: str, node: Any, parent: _LineDict) -> ColumnSpec:
        node = self.mapping(node, f"column '{dataset}.{name}'", parent, name)
        self.unknown_keys(node, self.COLUMN_KEYS, f"column '{dataset}.{name}'")
        ctype = node.get("type")
        if ctype not in COLUMN_TYPES:
            self.fail("unknown-type", f"column '{dataset}.{name}' has type {ctype!r}; known types: "
                      f"{', '.join(COLUMN_TYPES)}", node, "type", column=name)
        refs = node.get("references")
        if refs is not None and not (isinstance(refs, str) and refs.count(".") == 1):
            self.fail("spec-shape", "references must look like dataset.column", node, "references")
            refs = None
        for bound in ("min", "max"):
            value = node.get(bound)
            if value is not None and (isinstance(value, bool) or not isinstance(value, (int, float))):
                self.fail("spec-type", f"{bound} must be a number", node, bound)
        allowed = node.get("allowed")
        if allowed is not None and not isinstance(allowed, list):
            self.fail("spec-type", "allowed must be a list", node, "allowed")
            allowed = None
        return ColumnSpec(
            name=name,
            type=ctype if ctype in COLUMN_TYPES else "text",
            nullable=bool(node.get("nullable", False)),
            allowed=tuple(allowed) if allowed else None,
            min=node.get("min"),
            max=node.get("max"),
            references=tuple(refs.split(".")) if refs else None,
            not_before=node.get("not_before"),
        )

    def column_links(self, dataset: str, col: ColumnSpec, datasets: dict, columns_node: _LineDict):
        node = columns_node.get(col.name)
        if col.references:
            target, target_col = col.references
            if target not in datasets or target_col not in datasets[target].columns:
                self.fail("unknown-reference", f"'{dataset}.{col.name}' references "
                          f"'{target}.{target_col}', which the spec does not define", node,
                          "references", column=col.name)
        if col.not_before and col.not_before not in datasets[dataset].columns:
            self.fail("unknown-column", f"not_before names '{col.not_before}', which is not a column "
                      f"of '{dataset}'", node, "not_before", column=col.name)

    def figures(self, doc: _LineDict, datasets: dict[str, DatasetSpec]) -> list[FigureSpec]:
        items = doc.get("figures")
        if not isinstance(items, list) or not items:
            self.fail("required", "the spec needs a list of figures under 'figures'", doc, "figures")
            return []
        out, seen = [], set()
        for item in items:
            node = self.mapping(item, "a figure", doc, "figures")
            self.unknown_keys(node, self.FIGURE_KEYS, f"figure '{node.get('id', '?')}'")
            fid = self.text(node, "id", "a figure") or "?"
            what = f"figure '{fid}'"
            if fid in seen:
                self.fail("duplicate-id", f"figure id '{fid}' is used twice", node, "id")
            seen.add(fid)
            if "published" not in node or node.get("published") in (None, ""):
                self.fail("published-missing", f"{what} has no published value: write the number the "
                          "report printed, as printed (e.g. \"£1m\")", node)
            fmt = {"style": "integer"}
            if "format" in node:
                fmt = self.mapping(node["format"], f"format of {what}", node, "format")
            if fmt.get("style") not in FORMAT_STYLES:
                self.fail("unknown-format", f"{what} has format style {fmt.get('style')!r}; known: "
                          f"{', '.join(FORMAT_STYLES)}", fmt, "style")
            accepted = node.get("accepted_difference")
            if accepted is not None and not (isinstance(accepted, str) and accepted.strip()):
                self.fail("spec-type", "accepted_difference must be the reason, in words", node,
                          "accepted_difference")
            out.append(FigureSpec(
                id=fid,
                label=self.text(node, "label", what) or "",
                published=str(node.get("published", "")),
                rule=self.rule(node.get("rule"), node, what, datasets),
                explanation=self.text(node, "explanation", what) or "",
                format=dict(fmt),
                note=self.text(node, "note", what, required=False),
                panel=bool(node.get("panel", True)),
                accepted_difference=accepted,
                line=node.line,
            ))
        for fig, item in zip(out, items):
            for name in PLACEHOLDER.findall(fig.note or ""):
                if name not in seen:
                    self.fail("unknown-figure", f"note of figure '{fig.id}' names {{{name}}}, which is "
                              "not a figure", item, "note")
        return out

    def rule(self, node: Any, parent: _LineDict, what: str, datasets: dict) -> Rule:
        node = self.mapping(node, f"rule of {what}", parent, "rule")
        self.unknown_keys(node, self.RULE_KEYS, f"rule of {what}")
        rtype, dataset, column = node.get("type"), node.get("dataset"), node.get("column")
        if rtype not in RULE_TYPES:
            self.fail("unknown-rule", f"rule of {what} has type {rtype!r}; known: "
                      f"{', '.join(RULE_TYPES)}", node, "type")
        if dataset not in datasets:
            self.fail("unknown-dataset", f"rule of {what} counts dataset {dataset!r}, which the spec "
                      "does not define", node, "dataset")
            columns = {}
        else:
            columns = datasets[dataset].columns
        if rtype in ("count_distinct", "sum"):
            if column not in columns and dataset in datasets:
                self.fail("unknown-column", f"rule of {what} needs a 'column' of '{dataset}'", node,
                          "column", column=column)
            elif rtype == "sum" and column in columns and columns[column].type not in ("integer", "number", "money"):
                self.fail("spec-type", f"rule of {what} sums '{column}', which is not a number column",
                          node, "column", column=column)
        filters = []
        where = node.get("where", [])
        if not isinstance(where, list):
            self.fail("spec-shape", "where must be a list of filters", node, "where")
            where = []
        for item in where:
            f = self.mapping(item, "a filter", node, "where")
            ops = [k for k in f if k in FILTER_OPS]
            extra = [k for k in f if k not in FILTER_OPS and k != "column"]
            if len(ops) != 1 or extra:
                self.fail("unknown-filter", f"a filter needs 'column' and exactly one of "
                          f"{', '.join(FILTER_OPS)}", f)
                continue
            op = ops[0]
            col = f.get("column")
            if dataset in datasets and col not in columns:
                self.fail("unknown-column", f"filter in {what} names column {col!r}, not in "
                          f"'{dataset}'", f, "column", column=col)
            value = f[op]
            if op == "in" and not isinstance(value, list):
                self.fail("spec-type", "'in' takes a list", f, op)
            if op == "between" and not (isinstance(value, list) and len(value) == 2):
                self.fail("spec-type", "'between' takes a list of two bounds [low, high]", f, op)
            filters.append(Filter(col, op, tuple(value) if isinstance(value, list) else value))
        distinct_on = node.get("distinct_on", [])
        distinct_on = [distinct_on] if isinstance(distinct_on, str) else list(distinct_on)
        for col in distinct_on:
            if dataset in datasets and col not in columns:
                self.fail("unknown-column", f"distinct_on names column {col!r}, not in '{dataset}'",
                          node, "distinct_on", column=col)
        return Rule(rtype or "", dataset or "", column, tuple(filters), tuple(distinct_on))
