"""A project's spec: YAML read with line numbers, checked by a pydantic model, then cross-checked.

The spec is the only place a project's datasets, rules, claims, labels and layout live, so it is
checked as strictly as the raw data, and all of it before any data is read: unknown keys, values out
of range, names that become file names, colours, filter values against their column's type. Every
problem is reported at once with its line. YAML anchors and aliases are refused (they can expand
without bound). `json_schema()` gives editors completion.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import math
import re
from pathlib import Path, PurePosixPath
from typing import Annotated, Any, Literal, Union

import yaml
from pydantic import (BaseModel, ConfigDict, Discriminator, Field, PrivateAttr, Tag, ValidationError,
                      field_validator, model_validator)
from pydantic_core import PydanticCustomError

try:
    from yaml.cyaml import CParser  # libyaml, in PyYAML's wheels
except ImportError:  # a PyYAML built without it: the pure-Python loader reads every spec
    CParser = None

from infopipe.concepts.claims import DEFAULT_TOLERANCE, ClaimError, parse_claim
from infopipe.concepts.colours import parse_colour
from infopipe.concepts.panels import FIGURE_REF, KINDS, inferred_kind
from infopipe.errors import InfopipeError, Problem
from infopipe.concepts.formats import FormatError, UncheckedPrint, check_printed, check_template, stray_claims
from infopipe.concepts.column_types import NUMERIC
from infopipe.concepts.column_types import TYPES as COLUMN_TYPES  # pure Python: reading a spec imports no pandas
from infopipe.concepts.rules import FILTERS, RULES, describe_rule, taking
from infopipe.concepts.words import DEFAULT_LOCALE, LocaleError, check_locale
from infopipe.spec.charts import ChartSpec, check_chart

NAME = r"^[a-z0-9][a-z0-9_-]{0,63}$"  # ids that become file names and SVG ids
SVG_PATH = re.compile(r"^[MLHVCSQTZmlhvcsqtz0-9.,\s-]+$")
MAX_SPEC_BYTES = 2_000_000
PROBE = 30  # a value every placeholder prints (30, thirty, dozens, 30th): a print text is read back for it
PROBE_DATE = dt.date(2020, 6, 30)  # the same for date figures

Name = Annotated[str, Field(pattern=NAME)]
Text = Annotated[str, Field(max_length=2000)]
Pixels = Annotated[int, Field(gt=0, le=10_000)]
Spacing = Annotated[int, Field(ge=0, le=10_000)]


def did_you_mean(word: Any, known, what: str = "") -> str:
    """'; did you mean 'kind'?' for a near miss (difflib), then the known names when `what` names them."""
    import difflib

    known = [str(k) for k in known]
    close = difflib.get_close_matches(str(word), known, n=1, cutoff=0.6)
    hint = f"; did you mean '{close[0]}'?" if close else ""
    if what and known:
        hint += f" ({what}: {', '.join(known)})"
    return hint


def _fail(check: str, message: str):
    return PydanticCustomError(check, message)


def _known(value: str, registry, check: str, what: str, listed: str = "known", hint: bool = True) -> str:
    """A name a registry holds (a column type, a rule type, a panel kind), or the error listing them."""
    if value not in registry:
        raise _fail(check, f"{what} {value!r} is not known; {listed}: {', '.join(registry)}"
                    + (did_you_mean(value, registry) if hint else ""))
    return value


def _named(data: Any, key: str) -> Any:
    """Give each entry of the mapping `data[key]` its own key as `name` (a column, a dataset)."""
    if isinstance(data, dict) and isinstance(data.get(key), dict):
        data = {**data, key: {k: ({**v, "name": k} if isinstance(v, dict) else v) for k, v in data[key].items()}}
    return data


class Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=False, populate_by_name=True)


# ---------------------------------------------------------------- datasets

class ColumnSpec(Model):
    name: str = Field("", exclude=True)
    type: str
    nullable: bool = False
    allowed: tuple[Union[bool, int, float, str], ...] | None = None
    min: float | None = None
    max: float | None = None
    references: tuple[str, str] | None = None
    not_before: str | None = None

    @field_validator("type")
    @classmethod
    def _known_type(cls, value: str) -> str:
        return _known(value, COLUMN_TYPES, "unknown-type", "column type", listed="known types")

    @field_validator("references", mode="before")
    @classmethod
    def _dataset_dot_column(cls, value):
        if value is None:
            return None
        if not (isinstance(value, str) and value.count(".") == 1 and all(value.split("."))):
            raise _fail("spec-shape", "references must look like dataset.column")
        return tuple(value.split("."))

    @field_validator("min", "max")
    @classmethod
    def _finite(cls, value):
        if value is not None and not math.isfinite(value):
            raise _fail("spec-type", "must be a finite number")
        return value


ENV_NAME = r"^[A-Za-z_][A-Za-z0-9_]{0,127}$"
SQL_NAME = r"^[A-Za-z_][A-Za-z0-9_]{0,62}(\.[A-Za-z_][A-Za-z0-9_]{0,62})?$"


class DatabaseSource(Model):
    """Records that live in a database: the environment variable that holds the connection address
    (so no address or password is ever written in a spec), and one table or one query."""

    connection: str = Field(max_length=128)
    table: str | None = None
    query: str | None = Field(None, max_length=20_000)

    @field_validator("connection")
    @classmethod
    def _an_environment_variable(cls, value: str) -> str:
        if not re.fullmatch(ENV_NAME, value):
            raise _fail("connection-not-a-name", "connection names the environment variable that holds "
                        "the database address (letters, digits and _, such as INFOPIPE_EVENTS_DB); never "
                        "write the address or a password in the spec")
        return value

    @field_validator("table")
    @classmethod
    def _a_table_name(cls, value: str | None) -> str | None:
        if value is not None and not re.fullmatch(SQL_NAME, value):
            raise _fail("spec-type", "table is a name (letters, digits and _), optionally schema.table")
        return value

    @model_validator(mode="after")
    def _table_or_query(self):
        if (self.table is None) == (self.query is None):
            raise _fail("spec-shape", "a database dataset names either a table or a query")
        return self


class DatasetSpec(Model):
    name: str = Field("", exclude=True)
    file: str | None = Field(None, max_length=500)
    database: DatabaseSource | None = None
    sheet: str | None = Field(None, max_length=31)
    primary_key: str
    period_column: str | None = None
    columns: dict[str, ColumnSpec] = Field(min_length=1)

    @property
    def source(self) -> str:
        """How messages and provenance name where the records come from: the file, or the database
        table or query (by the environment variable naming the connection, never its value)."""
        if self.database is None:
            return self.file
        db = self.database
        return f"{db.connection}:{db.table}" if db.table else f"{db.connection}:query({self.name})"

    @model_validator(mode="after")
    def _file_or_database(self):
        if (self.file is None) == (self.database is None):
            raise _fail("spec-shape", "a dataset reads either a file or a database")
        return self

    @field_validator("file")
    @classmethod
    def _inside_raw_folder(cls, file: str | None) -> str | None:
        if file is None:
            return file
        if "*" in file and not re.fullmatch(r"([^*]*/)?[^/*]*\*[^/*]*\.parquet", file):
            raise _fail("spec-shape", f"file '{file}': a pattern names the Parquet files of one folder, "
                        "such as events/*.parquet")
        pure = PurePosixPath(file.replace("\\", "/"))
        if not file or pure.is_absolute() or ".." in pure.parts or re.match(r"^[A-Za-z]:", file) or "\0" in file:
            raise _fail("unsafe-path", f"file '{file}' must be a plain path inside the project's raw "
                        "folder (no absolute paths, no '..')")
        return file

    @model_validator(mode="before")
    @classmethod
    def _name_columns(cls, data):
        return _named(data, "columns")


# ---------------------------------------------------------------- rules

class Filter(Model):
    """One condition on one column, written `{column: kind, equals: pilot}` in the spec."""

    column: str
    op: str
    value: Any = None

    @model_validator(mode="before")
    @classmethod
    def _from_spec_form(cls, data):
        if not isinstance(data, dict) or "op" in data:
            return data
        ops = [k for k in data if k in FILTERS]
        extra = [k for k in data if k not in FILTERS and k != "column"]
        if len(ops) != 1 or extra or "column" not in data:
            raise _fail("unknown-filter", f"a filter needs 'column' and exactly one of {', '.join(FILTERS)}"
                        + "".join(did_you_mean(k, [*FILTERS, "column"]) for k in extra))
        return {"column": data["column"], "op": ops[0], "value": data[ops[0]]}

class Via(Model):
    """Count rows of a dataset whose reference column names a row of another matching `where`."""

    column: str
    where: tuple[Filter, ...] = ()


class Period(Model):
    start: dt.date
    end: dt.date

    @model_validator(mode="after")
    def _ordered(self):
        if self.end < self.start:
            raise _fail("spec-type", f"the period ends ({self.end}) before it starts ({self.start})")
        return self


RULE_PARAMETERS = ("part", "per", "compared_with")  # rule keys that only some rule types take (RuleType.needs)


class Rule(Model):
    type: str
    dataset: str
    column: str | None = None
    where: tuple[Filter, ...] = ()
    part: tuple[Filter, ...] = ()
    via: Via | None = None
    distinct_on: tuple[str, ...] = ()
    period: Period | bool | None = None  # None: the spec's period; false: none; or its own
    per: Literal["day", "week", "month", "year"] | None = None  # a rate: rows per day ... over the period
    compared_with: Period | None = None  # a change: the earlier period the reporting period is compared with

    @field_validator("type")
    @classmethod
    def _known_rule(cls, value: str) -> str:
        return _known(value, RULES, "unknown-rule", "rule type")

    @field_validator("distinct_on", mode="before")
    @classmethod
    def _one_or_many(cls, value):
        return [value] if isinstance(value, str) else value

    def describe(self, period: tuple[str, dt.date, dt.date] | None = None) -> str:
        """The rule in words (a compiled rule, spec/compile.py, also names the dataset a `via` reaches)."""
        return describe_rule(self, None, period)


# ---------------------------------------------------------------- figures

class Part(Model):
    """One category of a breakdown: the value of the breakdown column, its label, its claim."""

    value: Union[bool, int, float, str]
    label: Text = ""  # required, except in a ranking (`top`), where the data names each part
    published: str | None = Field(None, max_length=200)
    id: Name | None = None


class PluralForms(Model):
    """A word in each CLDR plural form a count may take ({one: launch, other: launches}); the
    count's form follows the spec's locale (Babel). `other` is said when a form is not given."""

    zero: Text | None = None
    one: Text | None = None
    two: Text | None = None
    few: Text | None = None
    many: Text | None = None
    other: Text


Words = Annotated[  # a word as written, or (a mapping) its plural forms chosen by the count
    Union[Annotated[Text, Tag("text")], Annotated[PluralForms, Tag("forms")]],
    Discriminator(lambda v: "forms" if isinstance(v, (dict, PluralForms)) else "text")]
PART_PLACES = ("label", "figure", "unit")  # what `each` may name


class Breakdown(Model):
    column: str = Field(description="the column whose values make the parts")
    parts: tuple[Part, ...] = Field((), max_length=40, description="`{value, label, published, id}`: "
                                    "each part a figure with its own claim (a ranking: what the report "
                                    "named at each place, `label` optional)")
    show_total: bool = Field(False, description="the total too (bars: under the parts; list: first, "
                             "\"84 outputs: ...\"); it need not be published")
    top: int | None = Field(None, ge=1, le=40, description="a ranking: the N most frequent values, in "
                            "order, labels from the data; a named part the data ranks elsewhere fails "
                            "(`ranking-differs`), and so does a tie the page would have to break "
                            "(`ranking-tied`)")
    labels: dict[str, Words] = Field({}, description="how a value of the column is printed: "
                                     "`{TWR: Tower}`, or plural forms by the part's count, "
                                     "`{workshop: {one: workshop, other: workshops}}`; a part's own "
                                     "`label` comes first, the value as stored last")
    each: str | None = Field(None, max_length=200, description="how a part is said in a list: "
                             "`{figure}` (its printed count, in bold), `{label}`, `{unit}` and words; "
                             "`\"{label}, {figure} {unit}\"` prints \"Tower, 499 launches\"; the "
                             "default is `\"{figure} {label}\"`")
    unit: Words | None = Field(None, description="what each part counts, for `{unit}`: `launches`, "
                               "or `{one: launch, other: launches}` by the part's count")

    @field_validator("labels", mode="before")
    @classmethod
    def _label_keys(cls, value):
        """YAML reads `{1: Tower}` with a number key; values are matched as text."""
        return {str(k): v for k, v in value.items()} if isinstance(value, dict) else value


class FigureSpec(Model):
    id: Name
    kind: str = ""  # the panel kind (concepts/panels.py); when not written, inferred from the other keys
    label: Text = ""
    published: str | None = Field(None, max_length=200)
    rule: Rule
    explanation: Text
    print_as: str | None = Field(None, alias="print", max_length=200)
    tolerance: float = Field(DEFAULT_TOLERANCE, gt=0, lt=1)
    note: Text | None = None
    lead: Text | None = None  # a number panel's words before the number: "partnerships with"
    own_headline_size: bool = False  # a number panel's headline keeps its own size, not the page's
    sentence: Text | None = None
    breakdown: Breakdown | None = None
    chart: ChartSpec | None = None
    panel: bool = True
    accepted_difference: Text | None = None
    _line: int = PrivateAttr(0)

    @field_validator("rule", mode="before")
    @classmethod
    def _written(cls, value, info):
        if isinstance(value, str):  # `infopipe new --from` drafts `rule: TO WRITE`
            raise _fail("rule-to-write", f"the rule of figure '{info.data.get('id', '?')}' is still to be "
                        "written: say how to count it from the data, e.g. rule: {type: count_rows, dataset: "
                        "events, where: [{column: kind, equals: workshop}]} (README: Rule types)")
        return value

    @model_validator(mode="before")
    @classmethod
    def _default_kind(cls, data):
        if isinstance(data, dict) and data.get("kind") is None:
            data = {**data, "kind": inferred_kind(data)}
        return data

    @field_validator("kind")
    @classmethod
    def _known_kind(cls, value: str) -> str:
        return _known(value, KINDS, "unknown-kind", "panel kind", hint=False)

    @field_validator("published", mode="before")
    @classmethod
    def _as_text(cls, value):
        return str(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else value

    @field_validator("accepted_difference")
    @classmethod
    def _reason(cls, value):
        if value is not None and not value.strip():
            raise _fail("spec-type", "accepted_difference must be the reason, in words")
        return value

    @property
    def line(self) -> int:
        return self._line


PAPER_MM = {"a3": (297.0, 420.0), "a4": (210.0, 297.0), "a5": (148.0, 210.0),
            "letter": (215.9, 279.4), "legal": (215.9, 355.6), "tabloid": (279.4, 431.8)}
PAPER_CUSTOM = re.compile(r"^(\d+(?:\.\d+)?)\s*x\s*(\d+(?:\.\d+)?)\s*mm$")


def paper_mm(text: str) -> tuple[float, float]:
    """A print size in millimetres, width then height: "A4", "A4 landscape", "200x250mm"."""
    words = text.strip().lower().split()
    landscape = len(words) == 2 and words[1] == "landscape"
    if len(words) == 2 and words[1] not in ("landscape", "portrait"):
        raise ValueError
    name = words[0] if words else ""
    if name in PAPER_MM:
        width, height = PAPER_MM[name]
    else:
        match = PAPER_CUSTOM.match(name)
        if not match or len(words) != 1:
            raise ValueError
        width, height = float(match.group(1)), float(match.group(2))
        if not (0 < width <= 5000 and 0 < height <= 5000):
            raise ValueError
    return (height, width) if landscape else (width, height)


class Layout(Model):
    columns: int = Field(4, ge=1, le=50)
    panel_width: Pixels = 300
    panel_height: Pixels = 300
    gap: Spacing = 24
    margin: Spacing = 48
    header_height: Spacing = 130
    footer_height: Spacing = 48
    print_size: str | None = Field(None, max_length=40)  # page.pdf's paper: "A4", "A3 landscape", "200x250mm"

    @field_validator("print_size")
    @classmethod
    def _paper(cls, value):
        if value is not None:
            try:
                paper_mm(value)
            except ValueError:
                raise _fail("spec-type", f"print_size {value!r} is not a paper size: write "
                            f"{', '.join(n.upper() if n[0] == 'a' else n for n in PAPER_MM)} "
                            "(optionally followed by 'landscape') or WIDTHxHEIGHTmm, e.g. 200x250mm") from None
        return value


Colour = Annotated[str, Field(max_length=30)]


class Theme(Model):
    font_family: str = Field("Liberation Sans, Arial, sans-serif", min_length=1, max_length=200,
                             pattern=r"^[A-Za-z0-9 ,\-_']+$")
    background: Colour = "#ffffff"
    panel_background: Colour = "#ffffff"
    text: Colour = "#222222"
    muted: Colour = "#666666"
    palette: tuple[Colour, ...] = Field(("#b6244f",), min_length=1, max_length=64)
    min_text_scale: float = Field(0.6, ge=0.3, le=1)

    @field_validator("background", "panel_background", "text", "muted")
    @classmethod
    def _colour(cls, value: str) -> str:
        return _check_colour(value)

    def first_family(self) -> str:
        """The family the text is measured in: the first one named ("Liberation Sans")."""
        return self.font_family.split(",")[0].strip().strip("'\"") or "sans-serif"

    @field_validator("palette")
    @classmethod
    def _colours(cls, values):
        return tuple(_check_colour(v) for v in values)


def _check_colour(value: str) -> str:
    try:
        parse_colour(value)
    except ValueError as err:
        raise _fail("bad-colour", str(err)) from None
    return value


# ---------------------------------------------------------------- the published report

PAGES_HELP = 'write page numbers and ranges, e.g. 2 or "2, 5-6"'


def parse_pages(value: Any) -> tuple[int, ...]:
    """Pages as written in the spec or on the command line: 2, "5-6", "2, 5-6" or [2, 5, 6]."""
    if isinstance(value, bool):
        raise ValueError(PAGES_HELP)
    items = value if isinstance(value, (list, tuple)) else str(value).split(",")
    pages: set[int] = set()
    for item in items:
        text = str(item).strip().replace("–", "-")
        match = re.fullmatch(r"(\d{1,5})(?:\s*-\s*(\d{1,5}))?", text)
        if not match or int(match[1]) < 1 or int(match[2] or match[1]) < int(match[1]):
            raise ValueError(f"{text!r} is not a page or a range of pages: {PAGES_HELP}")
        pages.update(range(int(match[1]), int(match[2] or match[1]) + 1))
    if not pages or len(pages) > 2000:
        raise ValueError(PAGES_HELP)
    return tuple(sorted(pages))


def _pages_field(value):
    try:
        return parse_pages(value) if value not in (None, (), []) else ()
    except ValueError as err:
        raise _fail("bad-pages", str(err)) from None


class Exclusion(Model):
    """Printed numbers the coverage check leaves out, with the reason: page furniture (page numbers,
    section numbers, dates in a list), written as the page's own text or as a pattern over a line."""

    text: tuple[Text, ...] = ()  # every number phrase inside this text (or these), as printed; spaces do not matter
    pattern: str | None = Field(None, max_length=500)  # a regular expression searched in each line
    pages: tuple[int, ...] = ()  # only on these pages (default: every page checked)
    reason: Text

    @field_validator("pages", mode="before")
    @classmethod
    def _pages(cls, value):
        return _pages_field(value)

    @field_validator("text", mode="before")
    @classmethod
    def _one_or_many(cls, value):
        return (value,) if isinstance(value, str) else value

    @field_validator("pattern")
    @classmethod
    def _compiles(cls, value):
        if value is not None:
            try:
                re.compile(value)
            except re.error as err:
                raise _fail("bad-pattern", f"pattern {value!r} is not a regular expression: {err}") from None
        return value

    @model_validator(mode="after")
    def _one_way_and_a_reason(self):
        if bool(self.text) == (self.pattern is not None):
            raise _fail("spec-shape", "an exclusion names either 'text' (as printed) or 'pattern' "
                        "(a regular expression over a line)")
        if not self.reason.strip():
            raise _fail("reason-missing", "an exclusion needs its reason, in words")
        return self


class Report(Model):
    """The published report the spec rebuilds: its file (hashed with the run's inputs), where it is
    published, the pages rebuilt, and what on those pages is not a figure."""

    file: str | None = Field(None, max_length=500)  # relative to the infopipe folder; may lie outside it
    url: str | None = Field(None, max_length=2000, pattern=r"^https?://\S+$")
    pages: tuple[int, ...] = ()
    exclude: tuple[Exclusion, ...] = Field((), max_length=500)

    @field_validator("pages", mode="before")
    @classmethod
    def _pages(cls, value):
        return _pages_field(value)

    @field_validator("file")
    @classmethod
    def _relative(cls, file: str | None) -> str | None:
        if file is not None and (not file or PurePosixPath(file).is_absolute() or re.match(r"^[A-Za-z]:", file)
                                 or "\0" in file or "\\" in file):
            raise _fail("unsafe-path", f"report file '{file}' must be a relative path (from the folder "
                        "holding projects/), with / between folders")
        return file


class Spec(Model):
    project: Name
    title: Text
    subtitle: Text = ""
    credit: Text = ""
    locale: str = Field(DEFAULT_LOCALE, max_length=40)
    max_file_bytes: int | None = Field(None, gt=0, le=2**50)
    render_seconds_per_file: float = Field(10.0, gt=0, le=3600)
    period: Period | None = None
    datasets: dict[Name, DatasetSpec] = Field(min_length=1)
    figures: tuple[FigureSpec, ...] = Field(min_length=1, max_length=500)
    page: Layout = Layout()
    theme: Theme = Theme()
    icons: dict[Name, str] = {}
    report: Report | None = None
    _path: Path = PrivateAttr(Path("spec.yaml"))
    _sha256: str = PrivateAttr("")
    _unchecked: frozenset = PrivateAttr(frozenset())  # datasets with problems of their own (cross_check)

    @field_validator("locale")
    @classmethod
    def _known_locale(cls, value: str) -> str:
        try:
            return check_locale(value)
        except LocaleError as err:
            raise _fail("unknown-locale", str(err)) from None

    @field_validator("icons")
    @classmethod
    def _icon_paths(cls, icons: dict) -> dict:
        for key, value in icons.items():
            if not SVG_PATH.match(value) or len(value) > 20_000:
                raise _fail("icon-path", f"icon '{key}' must be SVG path data (letters MLHVCSQTZ, "
                            "numbers, spaces, commas)")
        return icons

    @model_validator(mode="before")
    @classmethod
    def _name_datasets(cls, data):
        return _named(data, "datasets")

    @property
    def path(self) -> Path:
        return self._path

    @property
    def sha256(self) -> str:
        return self._sha256

    def figure(self, figure_id: str) -> FigureSpec:
        for fig in self.figures:
            if fig.id == figure_id:
                return fig
        raise KeyError(figure_id)

    def period_for(self, rule: Rule) -> tuple[str, dt.date, dt.date] | None:
        """The reporting period a rule counts in: its own, none, or the spec's (dated datasets only)."""
        column = self.datasets[rule.dataset].period_column
        period = self.period if rule.period is None else (rule.period if isinstance(rule.period, Period) else None)
        if rule.period is True:
            period = self.period
        return (column, period.start, period.end) if period and column else None

    def via_period_for(self, rule: Rule) -> tuple[str, dt.date, dt.date] | None:
        """The reporting period reached through `via`: a dataset with no date of its own counts the
        rows that name a row of a dated dataset in the period (target's period_column, start, end)."""
        target = self.via_target(rule)
        if self.period_for(rule) is not None or target is None or rule.period is False:
            return None
        column = self.datasets[target].period_column
        period = rule.period if isinstance(rule.period, Period) else self.period
        return (column, period.start, period.end) if period and column else None

    def via_target(self, rule: Rule) -> str | None:
        """The dataset a rule's `via` reaches (None without a via, or with a broken one)."""
        ds = self.datasets.get(rule.dataset)
        column = ds.columns.get(rule.via.column) if ds and rule.via else None
        return column.references[0] if column and column.references and column.references[0] in self.datasets else None

    def period_in_words(self, rule: Rule) -> str:
        """Why no reporting period applied to a rule, said in its words (empty when one did)."""
        if self.period_for(rule) or self.via_period_for(rule):
            return ""
        if rule.period is False:
            return ", over all dates (period: false)"
        if self.period is None and not isinstance(rule.period, Period):
            return ", over all dates (the spec sets no reporting period)"
        return (f", over all dates ({rule.dataset} has no period_column, nor a via to a dataset with "
                "one, so the reporting period does not apply)")


# ---------------------------------------------------------------- loading

class _LineDict(dict):
    """A YAML mapping that remembers its own line and each key's line."""

    line: int = 0
    key_lines: dict


class _LineList(list):
    line: int = 0
    item_lines: list


class _Lines:
    """Keeps line numbers, refuses duplicate keys, anchors and aliases (mixed into both loaders)."""

    def compose_node(self, parent, index):
        event = self.peek_event()
        if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None):
            raise yaml.composer.ComposerError(
                None, None, "YAML anchors and aliases (&name, *name) are not allowed in a spec: "
                "write each value out", event.start_mark)
        return super().compose_node(parent, index)

    def construct_mapping(self, node, deep=False):
        mapping = _LineDict()
        mapping.line = node.start_mark.line + 1
        mapping.key_lines = {}
        for key_node, value_node in node.value:
            key = self.construct_object(key_node, deep=True)
            if not isinstance(key, (str, int, float, bool)):
                raise yaml.constructor.ConstructorError(None, None, "a key must be plain text",
                                                        key_node.start_mark)
            if key in mapping:
                raise yaml.constructor.ConstructorError(None, None, f"duplicate key {key!r}",
                                                        key_node.start_mark)
            mapping[key] = self.construct_object(value_node, deep=True)
            mapping.key_lines[key] = key_node.start_mark.line + 1
        return mapping

    def construct_sequence(self, node, deep=False):
        items = _LineList(self.construct_object(child, deep=True) for child in node.value)
        items.line = node.start_mark.line + 1
        items.item_lines = [child.start_mark.line + 1 for child in node.value]
        return items


class _LineLoader(_Lines, yaml.SafeLoader):
    """Pure Python: the reference, and the words of every YAML error."""


LOADERS = [_LineLoader]
if CParser is not None:
    class _FastLineLoader(_Lines, yaml.composer.Composer, CParser, yaml.constructor.SafeConstructor,
                          yaml.resolver.Resolver):
        """libyaml (C) scans and parses, with the same marks; composing and constructing stay the
        Python code above. About 6x faster on a spec of 500 figures (benchmarks/bench_big.py)."""

        def __init__(self, stream):
            CParser.__init__(self, stream)
            yaml.composer.Composer.__init__(self)
            yaml.constructor.SafeConstructor.__init__(self)
            yaml.resolver.Resolver.__init__(self)

    LOADERS.insert(0, _FastLineLoader)

for _loader in LOADERS:
    _loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _Lines.construct_mapping)
    _loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _Lines.construct_sequence)


def spec_path(projects_dir: Path, project: str) -> Path:
    """Where a project's spec lives; the project name may not step outside projects/."""
    if not re.fullmatch(NAME, str(project)):
        raise InfopipeError("spec", [Problem(str(project), "project-name", "project names are lower-case "
                                             "letters, digits, - and _ (at most 64)")])
    return projects_dir / project / "spec.yaml"


def _other_projects(path: Path) -> str:
    """For a project folder that is not there: the near miss and the projects that are."""
    projects = path.parent.parent
    if path.parent.is_dir() or not projects.is_dir():
        return ""
    names = sorted(p.name for p in projects.iterdir() if (p / "spec.yaml").is_file())
    return did_you_mean(path.parent.name, names, "projects") if names else ""


def load_spec(path: Path) -> Spec:
    """Read and check a spec file; raise InfopipeError listing every problem with its line."""
    path = Path(path)
    shown = str(path)
    try:
        if not path.is_file():
            raise InfopipeError("spec", [Problem(shown, "spec-missing", "no spec file here" + _other_projects(path))])
        if path.stat().st_size > MAX_SPEC_BYTES:
            raise InfopipeError("spec", [Problem(shown, "spec-too-large", f"a spec is at most "
                                                 f"{MAX_SPEC_BYTES:,} bytes")])
        raw = path.read_bytes()
    except OSError as err:
        raise InfopipeError("spec", [Problem(shown, "spec-unreadable", f"cannot read the spec: {err.strerror}")]) from None
    digest = hashlib.sha256(raw).hexdigest()
    if (shown, digest) in _LOADED:  # each step reads the spec; parse the same bytes once
        return _LOADED[(shown, digest)]
    doc = _parse_yaml(raw, shown)
    try:
        spec = Spec.model_validate(doc)
    except ValidationError as err:
        problems = _problems_from_pydantic(err, doc, shown)
        raise InfopipeError("spec", problems + _check_the_parts(doc, shown, problems)) from None
    problems = cross_check(spec, doc, shown)
    if problems:
        raise InfopipeError("spec", problems)
    spec._path, spec._sha256 = path, digest
    for fig, node in zip(spec.figures, doc["figures"]):
        fig._line = node.line if isinstance(node, _LineDict) else 0
    if len(_LOADED) > 32:
        _LOADED.clear()
    _LOADED[(shown, digest)] = spec
    return spec


_LOADED: dict[tuple[str, str], Spec] = {}  # (path, SHA-256 of its bytes) -> the checked spec


def _parse_yaml(raw: bytes, shown: str) -> Any:
    """The spec's YAML with lines. libyaml reads it when it can; any error is read again by the
    pure-Python loader, whose words the error messages keep."""
    try:
        text = raw.decode("utf-8")
        for loader in LOADERS[:-1]:
            try:
                return yaml.load(text, Loader=loader)
            except (yaml.YAMLError, RecursionError):
                pass  # read again below, for the reference words and line
        return yaml.load(text, Loader=_LineLoader)
    except UnicodeDecodeError as err:
        line = raw[: err.start].count(b"\n") + 1
        raise InfopipeError("spec", [Problem(shown, "encoding", "the spec is not UTF-8", line=line)]) from None
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        line = mark.line + 1 if mark else None
        message = " ".join(str(getattr(err, "problem", None) or err).split())
        context = getattr(err, "context_mark", None)
        if context is not None and mark is not None and context.line != mark.line:
            message += f" ({err.context or 'in the construct'} that started on line {context.line + 1})"
        raise InfopipeError("spec", [Problem(shown, "yaml-syntax", message, line=line)]) from None
    except RecursionError:
        raise InfopipeError("spec", [Problem(shown, "yaml-syntax", "nested too deeply")]) from None


def _check_the_parts(doc: Any, shown: str, found: list[Problem]) -> list[Problem]:
    """When the spec as a whole fails its shape checks, cross-check the datasets, figures and theme
    that pass their own, so every problem comes out in one round (not shape first, names after)."""
    if not isinstance(doc, dict):
        return []

    def valid(model, data):
        try:
            return model.model_validate(data)
        except (ValidationError, TypeError, ValueError):
            return None

    nodes = doc.get("datasets") if isinstance(doc.get("datasets"), dict) else {}
    datasets = {n: d for n, d in ((n, valid(DatasetSpec, {**v, "name": n} if isinstance(v, dict) else v))
                                  for n, v in nodes.items()) if d is not None}
    figure_nodes = doc.get("figures") if isinstance(doc.get("figures"), list) else []
    figures = [(i, f) for i, f in enumerate(valid(FigureSpec, node) for node in figure_nodes) if f is not None]
    theme = valid(Theme, doc.get("theme", {})) or Theme(palette=("#000000",))
    period = valid(Period, doc["period"]) if doc.get("period") is not None else None
    try:  # an unknown locale is its own problem, already found
        locale = check_locale(doc["locale"]) if isinstance(doc.get("locale"), str) else DEFAULT_LOCALE
    except LocaleError:
        locale = DEFAULT_LOCALE
    part = Spec.model_construct(datasets=datasets, figures=tuple(f for _, f in figures), theme=theme,
                                period=period, locale=locale, icons={}, page=valid(Layout, doc.get("page", {})) or Layout())
    all_ids = {n.get("id") for n in figure_nodes if isinstance(n, dict) and isinstance(n.get("id"), str)}
    seen = {(p.line, p.check) for p in found}
    more = cross_check(part, doc, shown, positions=[i for i, _ in figures],
                       unchecked=frozenset(set(nodes) - set(datasets)), other_ids=frozenset(all_ids))
    return [p for p in more if (p.line, p.check) not in seen]


def json_schema() -> dict:
    """The spec's JSON Schema, for editor completion (`infopipe schema`)."""
    return Spec.model_json_schema(by_alias=True)


# ---------------------------------------------------------------- problems with lines

def line_of(doc: Any, loc: tuple) -> int | None:
    """The line of the deepest node on a path of keys and indexes (unknown steps are skipped)."""
    node, line = doc, getattr(doc, "line", None)
    for part in loc:
        if isinstance(node, _LineDict) and part in node:
            line = node.key_lines.get(part, line)
            node = node[part]
        elif isinstance(node, _LineList) and isinstance(part, int) and 0 <= part < len(node):
            line = node.item_lines[part]
            node = node[part]
    return line


def _where(loc: tuple, doc: Any) -> str:
    """A short name for where a problem is: figure 'x', dataset 'y', the spec."""
    if len(loc) >= 2 and loc[0] == "figures" and isinstance(loc[1], int):
        try:
            return f"figure '{doc['figures'][loc[1]].get('id', loc[1] + 1)}'"
        except (KeyError, IndexError, AttributeError, TypeError):
            return f"figure {loc[1] + 1}"
    if len(loc) >= 2 and loc[0] == "datasets":
        return f"dataset '{loc[1]}'"
    if loc and loc[0] in ("page", "theme", "icons", "period"):
        return str(loc[0])
    return "the spec"


BUILTIN_CHECKS = {"missing": "required", "extra_forbidden": "unknown-key", "dict_type": "spec-shape",
                  "model_type": "spec-shape", "model_attributes_type": "spec-shape",
                  "tuple_type": "spec-shape", "list_type": "spec-shape", "string_pattern_mismatch": "bad-name"}


def _keys_at(loc: tuple) -> list[str]:
    """The keys the spec allows at a path (for 'did you mean'): walk the models by field name,
    stepping over list indexes and mapping keys (dataset and column names)."""
    import typing

    def model_in(annotation):
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            return annotation
        for arg in typing.get_args(annotation):
            found = model_in(arg)
            if found is not None:
                return found
        return None

    model = Spec
    for part in loc:
        fields = {f.alias or n: f for n, f in model.model_fields.items()}
        if isinstance(part, str) and part in fields:
            model = model_in(fields[part].annotation) or model
    return [f.alias or n for n, f in model.model_fields.items() if n != "name"]


def _problems_from_pydantic(err: ValidationError, doc: Any, shown: str) -> list[Problem]:
    problems: dict[tuple, Problem] = {}
    errors = err.errors(include_url=False)
    for e in errors:
        loc = tuple(e["loc"])
        if e["type"] == "too_short" and any(len(o["loc"]) > len(loc) and tuple(o["loc"][:len(loc)]) == loc
                                            for o in errors):
            continue  # a list whose every item failed is not also "too short"
        kind = e["type"]
        field = next((p for p in reversed(loc) if isinstance(p, str) and p[:1].islower()), "")
        check = kind if "-" in kind else BUILTIN_CHECKS.get(kind, "spec-type")
        message = e["msg"]
        if kind == "missing":
            message = f"{_where(loc, doc)} needs '{field}'"
        elif kind == "extra_forbidden":
            message = f"unknown key '{loc[-1]}' in {_where(loc, doc)}" + did_you_mean(loc[-1], _keys_at(loc[:-1]))
        elif kind == "string_pattern_mismatch":
            message = (f"'{e.get('input')}' is not allowed as {field}: use lower-case letters, digits, "
                       "- and _ only (it becomes a file name)")
        elif check == "spec-type":
            message = f"{field}: {message}" if field else message
        line = line_of(doc, loc[:-1] if kind == "missing" else loc)
        column = None
        if len(loc) >= 4 and loc[0] == "datasets" and loc[2] == "columns":
            column = str(loc[3])
        key = (line, check, message)
        problems.setdefault(key, Problem(shown, check, message, line=line, column=column))
    return list(problems.values())


def cross_check(spec: Spec, doc: Any, shown: str, positions: list[int] | None = None,
                unchecked: frozenset = frozenset(), other_ids: frozenset = frozenset()) -> list[Problem]:
    """What one field cannot know alone: names that refer to each other, claims, templates.

    Run on a whole spec, or on the parts of a spec that passed their own checks (so that every
    problem comes out in one round): then `positions` gives each figure's place in the file,
    `unchecked` names datasets that failed their own checks (not reported again as unknown), and
    `other_ids` the ids of figures that did."""
    problems: list[Problem] = []
    spec._unchecked = unchecked

    def fail(check: str, message: str, loc: tuple, column: str | None = None):
        problems.append(Problem(shown, check, message, line=line_of(doc, loc), column=column))

    for name, ds in spec.datasets.items():
        base = ("datasets", name)
        if ds.primary_key not in ds.columns:
            fail("unknown-column", f"primary key '{ds.primary_key}' is not a column of '{name}'"
                 + did_you_mean(ds.primary_key, ds.columns, "columns"),
                 base + ("primary_key",), ds.primary_key)
        if ds.period_column and (ds.period_column not in ds.columns or ds.columns[ds.period_column].type != "date"):
            fail("unknown-column", f"period_column '{ds.period_column}' must be a date column of '{name}'",
                 base + ("period_column",), ds.period_column)
        if ds.sheet is not None and not (ds.file or "").lower().endswith((".xlsx", ".xlsm", ".xls", ".ods")):
            fail("spec-shape", "'sheet' applies to workbooks only (.xlsx, .xlsm, .xls, .ods)", base + ("sheet",))
        for col in ds.columns.values():
            here = base + ("columns", col.name)
            if col.references:
                target, target_col = col.references
                if target in unchecked:
                    continue
                if target not in spec.datasets or target_col not in spec.datasets[target].columns:
                    known = ([f"{target}.{c}" for c in spec.datasets[target].columns] if target in spec.datasets
                             else [f"{d}.{c}" for d in spec.datasets for c in spec.datasets[d].columns])
                    fail("unknown-reference", f"'{name}.{col.name}' references '{target}.{target_col}', "
                         "which the spec does not define" + did_you_mean(f"{target}.{target_col}", known), here + ("references",), col.name)
            if col.not_before and col.not_before not in ds.columns:
                fail("unknown-column", f"not_before names '{col.not_before}', which is not a column "
                     f"of '{name}'", here + ("not_before",), col.name)
            if (col.min is not None or col.max is not None) and col.type not in NUMERIC:
                fail("spec-type", f"min and max apply to number columns; '{col.name}' is {col.type}",
                     here, col.name)

    problems += _theme_contrast(spec, doc, shown)
    ids = [f.id for f in spec.figures]
    all_ids = set(ids) | set(other_ids)
    for i, fig in enumerate(spec.figures):
        here = ("figures", positions[i] if positions else i)
        if ids.count(fig.id) > 1 and ids.index(fig.id) != i:
            fail("duplicate-id", f"figure id '{fig.id}' is used twice", here + ("id",))
        problems += _check_rule(spec, fig.rule, f"figure '{fig.id}'", here + ("rule",), doc, shown)
        if fig.chart is not None:
            check_chart(fig.chart, fig.rule, spec.datasets, fail, here + ("chart",))
            for j, mark in enumerate(fig.chart.marks):
                try:
                    parse_claim(mark.published, fig.tolerance)
                except ClaimError as err:
                    fail("claim", str(err), here + ("chart", "marks", j, "published"))
        if fig.published is None and fig.breakdown is None and fig.chart is None:
            fail("published-missing", f"figure '{fig.id}' has no published value: write the number "
                 "the report printed, as printed (e.g. \"£1m\", \"more than 40\")", here)
        for text, key in ((fig.published, "published"), *((p.published, ("breakdown", "parts", j, "published"))
                                                           for j, p in enumerate(fig.breakdown.parts if fig.breakdown else ()))):
            if text is None:
                continue
            try:
                parse_claim(text, fig.tolerance, spec.locale, yields_date(spec, fig.rule), nouns=True)
            except ClaimError as err:
                fail("claim", str(err), here + (key if isinstance(key, tuple) else (key,)))
        if fig.print_as is not None:
            try:
                check_template(fig.print_as)
                probe = (PROBE_DATE if fig.rule.type != "date_range" else (PROBE_DATE, PROBE_DATE)) \
                    if yields_date(spec, fig.rule) else PROBE
                check_printed(fig.print_as, probe, fig.tolerance, spec.locale)  # is it readable at all?
            except UncheckedPrint as err:
                fail("print-unchecked", f"print of figure '{fig.id}': {err}", here + ("print",))
            except FormatError as err:
                fail("print-format", f"print of figure '{fig.id}': {err}", here + ("print",))
        for key in ("note", "sentence"):
            for ref in FIGURE_REF.findall(getattr(fig, key) or ""):
                if ref not in all_ids:
                    fail("unknown-figure", f"{key} of figure '{fig.id}' names {{{ref}}}, which is not a figure"
                         + did_you_mean(ref, sorted(all_ids)),
                         here + (key,))
        if fig.sentence and not FIGURE_REF.search(fig.sentence):
            fail("spec-shape", f"the sentence of figure '{fig.id}' names no figure: put {{{fig.id}}} "
                 "where its number goes", here + ("sentence",))
        if fig.breakdown:
            problems += _check_breakdown(spec, fig, here, doc, shown, all_ids)
        if fig.chart is not None and fig.breakdown is not None:
            fail("spec-shape", f"figure '{fig.id}' is a chart or a breakdown, not both", here)
        for check, message, key in KINDS[fig.kind].check(fig):
            fail(check, message, here + key)
        if fig.lead and stray_claims(fig.lead, spec.locale):  # "the top 3 stations:", "more than": said unchecked
            fail("print-unchecked", f"lead of figure '{fig.id}': {stray_claims(fig.lead, spec.locale)!r} is typed "
                 "in, so nothing checks it: a number is printed from a value (published, print, {figure})",
                 here + ("lead",))
        blank = [(("label",), fig.label), (("note",), fig.note), (("sentence",), fig.sentence),
                 *((("breakdown", "parts", j, "label"), p.label) for j, p in enumerate(fig.breakdown.parts if fig.breakdown else ()))]
        for key, text in blank:
            if text and not text.strip():  # it would draw nothing, yet look filled in
                fail("blank-text", f"the {key[-1]} of figure '{fig.id}' is only spaces: write the words, "
                     "or leave it out", here + key)
    return problems


def yields_date(spec: Spec, rule: Rule) -> bool:
    """Whether a rule's value is a date or a date range (min/max of a date column, date_range)."""
    ds = spec.datasets.get(rule.dataset)
    column = ds.columns.get(rule.column) if ds and rule.column else None
    return rule.type in ("min", "max", "date_range") and column is not None and column.type == "date"


def _theme_contrast(spec: Spec, doc, shown: str) -> list[Problem]:
    """Every text colour against its background (WCAG AA), with the theme line that sets it, before
    any data is read; the panels take the palette's colours in turn, as the page draws them."""
    from types import SimpleNamespace

    from infopipe.concepts.colours import low_contrast

    palette = spec.theme.palette
    panels = [SimpleNamespace(id=f.id, color=palette[i % len(palette)])
              for i, f in enumerate(f for f in spec.figures if f.panel)]
    return [Problem(shown, "contrast", message, line=line_of(doc, where))
            for where, message in low_contrast(spec.theme, panels)]


def _check_rule(spec: Spec, rule: Rule, what: str, loc: tuple, doc, shown) -> list[Problem]:
    problems: list[Problem] = []

    def fail(check, message, where, column=None):
        problems.append(Problem(shown, check, message, line=line_of(doc, where), column=column))

    if rule.dataset in getattr(spec, "_unchecked", ()):
        return problems  # the dataset has problems of its own, reported already
    if rule.dataset not in spec.datasets:
        fail("unknown-dataset", f"rule of {what} counts dataset {rule.dataset!r}, which the spec does "
             "not define" + did_you_mean(rule.dataset, spec.datasets, "datasets"), loc + ("dataset",))
        return problems
    ds = spec.datasets[rule.dataset]
    kind = RULES[rule.type]
    if kind.column_types is not None:
        if rule.column not in ds.columns:
            fail("unknown-column", f"rule of {what} needs a 'column' of '{rule.dataset}'"
                 + (did_you_mean(rule.column, ds.columns, "columns") if rule.column else ""), loc + ("column",), rule.column)
        elif ds.columns[rule.column].type not in kind.column_types:
            fail("spec-type", f"rule of {what} ({rule.type}) cannot use '{rule.column}', a "
                 f"{ds.columns[rule.column].type} column", loc + ("column",), rule.column)
    elif rule.column is not None:
        fail("spec-shape", f"rule of {what}: {rule.type} takes no 'column'", loc + ("column",), rule.column)
    for key in RULE_PARAMETERS:  # the parameters some rule types take of their own
        if kind.takes(key) and not getattr(rule, key):
            fail("required", f"rule of {what}: {rule.type} needs '{key}', {kind.needs[key]}", loc)
        if getattr(rule, key) and not kind.takes(key):
            fail("spec-shape", f"rule of {what}: '{key}' belongs to {' and '.join(taking(key))} rules", loc + (key,))
    if rule.type in ("rate", "change") and not spec.period_for(rule):
        fail("spec-shape", f"rule of {what}: a {rule.type} is over the reporting period: the spec needs a "
             f"period, and '{rule.dataset}' a period_column", loc)
    for key in ("where", "part"):
        problems += _check_filters(ds, getattr(rule, key), what, loc + (key,), doc, shown)
    for col in rule.distinct_on:
        if col not in ds.columns:
            fail("unknown-column", f"distinct_on names column {col!r}, not in '{rule.dataset}'"
                 + did_you_mean(col, ds.columns, "columns"),
                 loc + ("distinct_on",), col)
    if rule.via:
        col = ds.columns.get(rule.via.column)
        if col is None or not col.references:
            fail("spec-shape", f"via of {what} needs a column of '{rule.dataset}' that references "
                 "another dataset", loc + ("via", "column"), rule.via.column)
        elif col.references[0] in spec.datasets:
            problems += _check_filters(spec.datasets[col.references[0]], rule.via.where, what,
                                       loc + ("via", "where"), doc, shown)
    dated_via = bool(spec.via_target(rule) and spec.datasets[spec.via_target(rule)].period_column)
    if isinstance(rule.period, Period) and not ds.period_column and not dated_via:
        fail("spec-shape", f"rule of {what} sets a period, but dataset '{rule.dataset}' has no "
             "period_column", loc + ("period",))
    return problems


def _check_filters(ds: DatasetSpec, filters, what, loc, doc, shown) -> list[Problem]:
    problems = []
    for j, flt in enumerate(filters):
        where = loc + (j,)
        col = ds.columns.get(flt.column)
        if col is None:
            problems.append(Problem(shown, "unknown-column", f"filter in {what} names column "
                                    f"{flt.column!r}, not in '{ds.name}'" + did_you_mean(flt.column, ds.columns, "columns"),
                                    line=line_of(doc, where + ("column",)),
                                    column=flt.column))
            continue
        try:
            FILTERS[flt.op].check(flt.value, col.type)  # spec/compile.py keeps the typed value
        except ValueError as err:
            problems.append(Problem(shown, "filter-value", f"filter in {what} on '{flt.column}': {err}",
                                    line=line_of(doc, where + (flt.op,)), column=flt.column))
    return problems


def _check_breakdown(spec: Spec, fig: FigureSpec, here, doc, shown, all_ids) -> list[Problem]:
    problems = []
    ds = spec.datasets.get(fig.rule.dataset)
    bd = fig.breakdown
    if ds is None:
        return problems
    col = ds.columns.get(bd.column)
    if col is None:
        return [Problem(shown, "unknown-column", f"breakdown of figure '{fig.id}' names column "
                        f"{bd.column!r}, not in '{ds.name}'" + did_you_mean(bd.column, ds.columns, "columns"), line=line_of(doc, here + ("breakdown", "column")),
                        column=bd.column)]
    seen = set()
    if not bd.parts and not bd.top:
        problems.append(Problem(shown, "required", f"breakdown of figure '{fig.id}' needs 'parts' (or 'top: N' "
                                "for a ranking)", line=line_of(doc, here + ("breakdown",))))
    if bd.top and len(bd.parts) > bd.top:
        problems.append(Problem(shown, "spec-shape", f"breakdown of figure '{fig.id}' ranks the top {bd.top} but "
                                f"lists {len(bd.parts)} parts", line=line_of(doc, here + ("breakdown", "parts"))))
    problems += _check_part_words(spec, fig, col, here, doc, shown)
    for j, part in enumerate(bd.parts):
        loc = here + ("breakdown", "parts", j)
        if not bd.top and not part.label and str(part.value) not in bd.labels:
            problems.append(Problem(shown, "required", f"breakdown part {part.value!r} of figure '{fig.id}' "
                                    "needs a 'label'", line=line_of(doc, loc)))
        if not bd.top and part.published is None:
            problems.append(Problem(shown, "required", f"breakdown part {part.value!r} of figure '{fig.id}' "
                                    "needs 'published'", line=line_of(doc, loc)))
        try:
            value = FILTERS["equals"].check(part.value, col.type)
        except ValueError as err:
            problems.append(Problem(shown, "filter-value", f"breakdown part of figure '{fig.id}': {err}",
                                    line=line_of(doc, loc + ("value",)), column=bd.column))
        else:
            if col.allowed and value not in col.allowed:  # it could never match a record: always 0
                problems.append(Problem(shown, "filter-value", f"breakdown part {part.value!r} of figure "
                                        f"'{fig.id}' is not one of the values allowed in column "
                                        f"'{bd.column}' ({', '.join(map(str, col.allowed))}), so no record "
                                        "could ever be counted in it", line=line_of(doc, loc + ("value",)),
                                        column=bd.column))
        pid = part_id(fig, part, j + 1)
        if not re.fullmatch(NAME, pid):
            problems.append(Problem(shown, "bad-name", f"breakdown part {part.value!r} of figure '{fig.id}' "
                                    "needs an 'id' (lower-case letters, digits, - and _)", line=line_of(doc, loc)))
        elif pid in seen or pid in all_ids:
            problems.append(Problem(shown, "duplicate-id", f"figure id '{pid}' is used twice",
                                    line=line_of(doc, loc)))
        seen.add(pid)
    return problems


def _check_part_words(spec: Spec, fig: FigureSpec, col, here, doc, shown) -> list[Problem]:
    """`each`, `unit` and `labels` of a breakdown: the places `each` names, and no number or hedge
    typed in their words (nothing would check it)."""
    bd, problems = fig.breakdown, []
    at = lambda *key: line_of(doc, here + ("breakdown", *key))  # noqa: E731
    if bd.each is not None:
        named = re.findall(r"\{([^{}]*)\}", bd.each)
        wrong = [n for n in named if n not in PART_PLACES]
        loose = re.sub(r"\{[^{}]*\}", "", bd.each)
        if wrong or named.count("figure") != 1 or named.count("label") != 1 or "{" in loose or "}" in loose:
            problems.append(Problem(shown, "spec-shape", f"'each' of figure '{fig.id}' must name {{figure}} and "
                                    "{label} once each, and may name {unit}: e.g. \"{label}, {figure} {unit}\""
                                    + (f"; {{{wrong[0]}}} is not one of them" if wrong else ""), line=at("each")))
        elif "unit" in named and bd.unit is None:
            problems.append(Problem(shown, "required", f"'each' of figure '{fig.id}' names {{unit}}: give the "
                                    "breakdown a 'unit' (e.g. {one: launch, other: launches})", line=at("each")))
    forms = lambda w: [w] if isinstance(w, str) else [v for v in w.model_dump().values() if v]  # noqa: E731
    typed = [(("each",), re.sub(r"\{[^{}]*\}", " ", bd.each or ""))]
    typed += [(("unit",), w) for w in (forms(bd.unit) if bd.unit is not None else ())]
    for key, text in typed:
        stray = stray_claims(text, spec.locale)
        if stray:
            problems.append(Problem(shown, "print-unchecked", f"{key[0]} of figure '{fig.id}': {stray!r} is "
                                    "typed in, so nothing checks it: a part's number is printed from its "
                                    "value by {figure}", line=at(*key)))
    for value, words in bd.labels.items():
        if col.allowed and value not in {str(a) for a in col.allowed}:
            problems.append(Problem(shown, "filter-value", f"labels of figure '{fig.id}' name {value!r}, not one "
                                    f"of the values allowed in column '{bd.column}' "
                                    f"({', '.join(map(str, col.allowed))})", line=at("labels", value),
                                    column=bd.column))
        if any(not w.strip() for w in forms(words)):
            problems.append(Problem(shown, "blank-text", f"the label of {value!r} in figure '{fig.id}' is only "
                                    "spaces: write the words, or leave it out", line=at("labels", value)))
    return problems


def part_id(fig: FigureSpec, part: Part, rank: int = 0) -> str:
    if fig.breakdown and fig.breakdown.top:
        return part.id or f"{fig.id}_{rank}"
    return part.id or f"{fig.id}_{str(part.value).lower()}"
