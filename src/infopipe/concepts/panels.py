"""Panel kinds, one registered object each: its spec keys, how a figure written without `kind:` gets
it, what the spec must then hold, the panel a figure becomes (text and alt text), a sample, and
how it is drawn.

Adding a kind is one entry in KINDS (plus its drawing, registered by the presentation with
`present.layout.draws` for kinds drawn from the SVG templates, or by a batch drawer for kinds drawn
another way, such as plotly charts exported in one batch and then wrapped). The spec, compute, the
page, the gallery, the JSON Schema and the README's reference read the registry.

Nothing here imports pandas or the presentation: the spec reads this module, and a spec is read by
every command, an up-to-date run included.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Callable

FIGURE_REF = re.compile(r"\{([a-z0-9_-]+)\}")  # {figure} in a note or a sentence
PANEL_ID = re.compile(r"^[A-Za-z0-9_-]+$")


# ---------------------------------------------------------------- what render draws

@dataclass(frozen=True)
class Part:
    """One bar of a breakdown."""

    label: str  # "videos"
    printed: str  # "30" (already formatted text)
    value: float  # 30 (for proportional drawing)
    id: str = ""  # the part's figure id from the spec ("events_online"); its SVG group's id


@dataclass(frozen=True)
class Segment:
    """A piece of a sentence; figures are emphasised."""

    text: str
    is_figure: bool
    figure: str = ""  # the figure's id, for a figure (its <tspan> gets an id naming it)


@dataclass(frozen=True)
class Mark:
    """One bar, point, slice or country of a chart: its key, words, value and printed text."""

    key: str  # "2019", "FR", "school"
    label: str  # "2019", "France", "school" (the axis or legend words)
    value: float
    printed: str  # the data label, already formatted ("1,204", "45%")
    series: str | None = None
    partial: bool = False  # a period not yet over, drawn distinctly
    code: str | None = None  # map: ISO 3166 alpha-3
    apart: bool = False  # map: records whose code is not a country, counted apart
    share: float | None = None  # share: the percent of the whole


@dataclass(frozen=True)
class Chart:
    """What a chart panel draws (plotly, exported by kaleido); the options come from the spec."""

    kind: str  # "bar" | "share" | "line" | "map"
    marks: tuple[Mark, ...]
    mode: str = "grouped"
    orientation: str = "auto"
    style: str = "donut"
    value_title: str = ""
    labels: bool = True


@dataclass(frozen=True)
class Panel:
    id: str  # figure id; letters, digits, _ and - only; used in file names and SVG ids
    kind: str  # a key of KINDS
    headline: str  # printed headline: "15", "£1m", "more than 40", "dozens"
    label: str = ""  # number/subcount/breakdown: the words under the number
    lead: str = ""  # number/subcount: the words before the number ("partnerships with")
    own_size: bool = False  # number/subcount: keep its own headline size, not the page's shared one
    note: str = ""  # small text under the label (subcount: contains the sub-figure)
    note_figure: str = ""  # subcount: the printed sub-figure inside note, to emphasise ("50")
    segments: tuple[Segment, ...] = ()  # sentence: the whole statement, figures marked
    parts: tuple[Part, ...] = ()  # breakdown parts, in spec order
    total: str = ""  # breakdown: printed total ("84 outputs"), "" when not asked for
    alt: str = ""  # alt text: "15 recruits & their networks, selected from 50 applicants"
    icon: str = ""  # SVG path data in a 100x100 box (y down), "" for none
    color: str = "#b6244f"  # accent colour (from the theme palette)
    chart: Chart | None = None  # chart kinds: the marks and options plotly draws

    def sentence_text(self) -> str:
        return "".join(s.text for s in self.segments)


# ---------------------------------------------------------------- the registry

@dataclass(frozen=True)
class Figures:
    """What a kind's `body` may read of the computed figures: by id, and each one's printed text."""

    by_id: dict[str, Any]  # figure id -> its result (value, printed, label, note, parent)
    printed: dict[str, str]
    locale: str = "en_GB"  # the spec's: the words that join a list

    def parts_of(self, figure_id: str) -> list:
        return [r for r in self.by_id.values() if getattr(r, "parent", None) == figure_id]


@dataclass(frozen=True)
class PanelKind:
    """One way to show a figure. `body(fig, figures)` gives the Panel's fields (alt text included)
    from the figure's declaration and the computed figures; `check(fig)` the spec problems of a
    figure of this kind as (check, message, key) rows; `infer(data)` says whether a figure written
    without `kind:` is of this kind (the first kind that says yes wins)."""

    name: str
    words: str
    keys: tuple[str, ...]  # the figure's spec keys this kind reads
    infer: Callable[[dict], bool]
    body: Callable[[Any, Figures], dict]
    sample: Callable[[], Panel]
    check: Callable[[Any], list[tuple[str, str, tuple]]] = lambda fig: []
    drawn_by: str = "template"  # "template": stacked text blocks (present/layout.py); else a batch drawer
    shares_headline: bool = False  # its big number takes the page's one headline size


def _segments(template: str, printed: dict[str, str]) -> tuple[Segment, ...]:
    pieces, at = [], 0
    for m in FIGURE_REF.finditer(template):
        if m.start() > at:
            pieces.append(Segment(template[at:m.start()], False))
        pieces.append(Segment(printed[m.group(1)], True, m.group(1)))
        at = m.end()
    if at < len(template):
        pieces.append(Segment(template[at:], False))
    return tuple(pieces)


def _number_body(fig, figures: Figures) -> dict:
    r = figures.by_id[fig.id]
    note = r.note or ""
    refs = FIGURE_REF.findall(fig.note or "")
    return {"note": note, "note_figure": figures.printed[refs[0]] if refs else "", "lead": fig.lead or "",
            "own_size": fig.own_headline_size,
            "alt": " ".join(t for t in (fig.lead, r.printed, fig.label) if t) + (f", {note}" if note else "")}


def _needs_label(fig) -> list[tuple[str, str, tuple]]:
    if fig.panel and not fig.label:
        return [("required", f"figure '{fig.id}' needs a 'label' (or a 'sentence')", ())]
    return []


def _no_lead(fig) -> list[tuple[str, str, tuple]]:
    """A lead-in ("partnerships with") stands before a big number: number panels only."""
    if fig.lead is not None:
        return [("spec-shape", f"figure '{fig.id}': 'lead' belongs to a number panel (kind number or "
                 "subcount)", ("lead",))]
    return []


def _sentence_body(fig, figures: Figures) -> dict:
    note = figures.by_id[fig.id].note or ""
    segments = _segments(fig.sentence, figures.printed)
    return {"segments": segments, "note": note,
            "alt": "".join(s.text for s in segments) + (f". {note}" if note else "")}


def _needs_sentence(fig) -> list[tuple[str, str, tuple]]:
    return _no_lead(fig) + ([] if fig.sentence else [("required", f"figure '{fig.id}' needs a 'sentence'", ())])


def _breakdown_body(fig, figures: Figures) -> dict:
    r = figures.by_id[fig.id]
    parts = tuple(Part(p.label, p.printed, float(p.value), p.id) for p in figures.parts_of(fig.id))
    # the label heads the parts; the total, when the report printed one, is said once, under them
    total = f"{r.printed} in total" if fig.breakdown.show_total else ""
    listed = ", ".join("".join((b, p.printed, a)) for p, (b, a) in
                       ((p, part_said(fig.breakdown, p, figures.locale)) for p in figures.parts_of(fig.id)))
    alt = f"{fig.label}: {listed}" if fig.label else listed
    return {"parts": parts, "total": total, "note": r.note or "", "headline": "",
            "alt": alt + (f"; {total}" if total else "")}


def _needs_breakdown(fig) -> list[tuple[str, str, tuple]]:
    return _no_lead(fig) + ([] if fig.breakdown else [("required", f"figure '{fig.id}' needs a 'breakdown'", ())])


EACH = "{figure} {label}"  # how a breakdown part is said unless the spec's `each` says otherwise


def part_said(breakdown, part, locale: str) -> tuple[str, str]:
    """The words before and after a part's printed figure, from the breakdown's `each`:
    ("", " workshops") by default, ("Tower, ", " launches") for "{label}, {figure} {unit}"; the
    unit in the plural form the printed count takes (words.in_form)."""
    from infopipe.concepts.words import in_form

    unit = in_form(breakdown.unit, part.printed, part.value, locale)
    before, _, after = (breakdown.each or EACH).partition("{figure}")

    def fill(text: str) -> str:  # an empty label or unit leaves no double space
        return re.sub(r" {2,}", " ", text.replace("{label}", part.label).replace("{unit}", unit))

    return fill(before).lstrip(), fill(after).rstrip()


def list_segments(fig, total: str, parts, locale: str) -> list[Segment]:
    """A list figure as the page says it: its lead, its total with `show_total`, and each part (with
    `printed`, `label`, `value`) in its breakdown's words, joined by the locale's list words."""
    from babel.lists import format_list

    joined = format_list([f"\x00{i}\x00" for i in range(len(parts))], locale=locale)
    pieces = [Segment(f"{fig.lead} ", False)] if fig.lead else []
    if fig.breakdown.show_total:
        pieces += [Segment(total, True), Segment(f" {fig.label}: " if fig.label else ": ", False)]
    for k, text in enumerate(joined.split("\x00")):
        if k % 2:  # a part's place in the list
            part = parts[int(text)]
            before, after = part_said(fig.breakdown, part, locale)
            pieces += [Segment(before, False)] if before else []
            pieces += [Segment(part.printed, True)] + ([Segment(after, False)] if after else [])
        elif text:
            pieces.append(Segment(text, False))
    return pieces


def _list_body(fig, figures: Figures) -> dict:
    """A breakdown said as one statement: "30 videos, 45 blog posts, 9 reports and 3 exhibitions",
    or label first with `each` ("the busiest station: Tower, 499 launches"), each part's printed
    figure marked, joined by the locale's list words (Babel, CLDR); led by the `lead` words and by
    the total ("84 outputs: ...") with `show_total`."""
    r = figures.by_id[fig.id]
    pieces = list_segments(fig, r.printed, figures.parts_of(fig.id), figures.locale)
    note = r.note or ""
    return {"segments": tuple(pieces), "note": note,
            "alt": "".join(p.text for p in pieces) + (f". {note}" if note else "")}


def _chart_body(fig, figures: Figures) -> dict:
    """A chart panel: its marks (each a figure), its notes, and alt text that lists every mark."""
    chart, whole = fig.chart, figures.by_id[fig.id]
    drawn = tuple(Mark(key=m.mark["key"], label=m.mark["label"], value=float(m.value), printed=m.printed,
                       series=m.mark.get("series"), partial=bool(m.mark.get("partial")), code=m.mark.get("code"),
                       apart=bool(m.mark.get("apart")), share=m.mark.get("share"))
                  for m in figures.parts_of(fig.id))
    notes = [f"* {chart.partial_last}" if chart.partial_last and any(m.partial for m in drawn) else ""]
    if chart.kind == "map" and len(drawn) <= 8:  # a few countries: their values in words too, as reports list them
        notes.insert(0, "; ".join(f"{m.label} {m.printed}" for m in drawn if not m.apart) + ".")
    notes += [f"{m.label}: {m.printed} (not on the map)" for m in drawn if m.apart and chart.kind == "map"]
    notes += [n for n in whole.chart_notes if n.startswith("not countries, left out")]
    notes += [whole.note or ""]
    listed = [f"{m.label}{' ' + m.series if m.series else ''}{' (partial)' if m.partial else ''} {m.printed}"
              for m in drawn]
    alt = f"{fig.label}: " + "; ".join(listed[:40]) + (f"; and {len(listed) - 40} more" if len(listed) > 40 else "")
    return {"headline": "", "note": " ".join(n for n in notes if n), "alt": alt,
            "chart": Chart(kind=chart.kind, marks=drawn, mode=chart.mode, orientation=chart.orientation,
                           style=chart.style, value_title=chart.value_title, labels=chart.labels)}


def _needs_chart(kind: str) -> Callable[[Any], list[tuple[str, str, tuple]]]:
    def check(fig) -> list[tuple[str, str, tuple]]:
        if fig.chart is None:
            return [("required", f"figure '{fig.id}' is a {kind} chart: it needs a 'chart' block", ())]
        if fig.chart.kind != kind:
            return [("spec-shape", f"figure '{fig.id}' says kind {kind} but its chart says kind {fig.chart.kind}",
                     ("kind",))]
        return []
    return check


def _chart_kind(kind: str, words: str, sample_marks: tuple[Mark, ...]) -> "PanelKind":
    """A chart kind: drawn by plotly in Chromium (kaleido, one batch per run), wrapped in our panel."""
    return PanelKind(
        kind, words, ("chart", "label", "note"),
        lambda d: isinstance(d.get("chart"), dict) and d["chart"].get("kind") == kind, _chart_body,
        check=_needs_chart(kind), drawn_by="plotly+kaleido",
        sample=lambda: Panel(id=f"sample_{kind}", kind=kind, headline="", label=f"A {kind} chart",
                             alt=f"A {kind} chart", chart=Chart(kind, sample_marks)))


def _has_ref(text) -> bool:
    return isinstance(text, str) and FIGURE_REF.search(text) is not None


_YEARS = (Mark("2022", "2022", 120, "120"), Mark("2023", "2023", 180, "180"),
          Mark("2024", "2024", 90, "90", partial=True))

KINDS: dict[str, PanelKind] = {k.name: k for k in (
    _chart_kind("bar", "bars over categories or time buckets (`chart: {kind: bar, by, series, mode}`), each a "
                "figure", _YEARS),
    _chart_kind("share", "a donut or 100% bar of a few parts (`chart: {kind: share, by}`), each part a figure "
                "with its percent", (Mark("a", "adults", 60, "60%", share=60.0), Mark("b", "children", 40, "40%",
                                                                                   share=40.0))),
    _chart_kind("line", "one or more lines over time buckets (`chart: {kind: line, by: {column, every}}`), each "
                "point a figure", _YEARS),
    _chart_kind("map", "a choropleth of countries from ISO 3166 codes (`chart: {kind: map, by, countries}`), "
                "each country a figure", (Mark("FR", "France", 12, "12", code="FRA"),
                                          Mark("KE", "Kenya", 7, "7", code="KEN"))),
    PanelKind("breakdown", "one bar per part, each part a figure with its own claim; the total when "
              "`show_total`", ("breakdown", "label", "note"), lambda d: bool(d.get("breakdown")),
              _breakdown_body, check=_needs_breakdown,
              sample=lambda: Panel(id="outputs", kind="breakdown", headline="84", label="outputs",
                                   parts=(Part("videos", "30", 30), Part("reports", "24", 24)),
                                   total="84 outputs in total", alt="outputs: 30 videos, 24 reports; 84 outputs in total")),
    PanelKind("list", "a breakdown as one sentence, \"30 videos, 45 blog posts and 9 reports\": each part "
              "a figure in bold, joined by the locale's words; led by `lead` words and by the total when "
              "`show_total`; label first with the breakdown's `each` (\"the busiest station: Tower, 499 launches\")",
              ("breakdown", "label", "note", "lead"), lambda d: False, _list_body,
              check=lambda fig: [] if fig.breakdown else [("required", f"figure '{fig.id}' needs a 'breakdown'", ())],
              sample=lambda: Panel(id="outputs", kind="list", headline="84",
                                   segments=(Segment("30", True), Segment(" videos and ", False),
                                             Segment("54", True), Segment(" reports", False)),
                                   alt="30 videos and 54 reports")),
    PanelKind("sentence", "a statement with its figures in bold (`{figure}` where each number goes)",
              ("sentence", "note"), lambda d: bool(d.get("sentence")), _sentence_body, check=_needs_sentence,
              sample=lambda: Panel(id="events", kind="sentence", headline="6",
                                   segments=(Segment("6", True), Segment(" workshops", False)), alt="6 workshops")),
    PanelKind("subcount", "a number whose note names another figure (`selected from {applicants} "
              "applicants`), drawn in bold", ("label", "note", "lead", "own_headline_size"),
              lambda d: _has_ref(d.get("note")), _number_body, check=_needs_label, shares_headline=True,
              sample=lambda: Panel(id="recruits", kind="subcount", headline="15", label="recruits",
                                   note="selected from 50 applicants", note_figure="50",
                                   alt="15 recruits, selected from 50 applicants")),
    PanelKind("number", "a big number, its label, and a smaller note; `lead` words before the number "
              "(\"partnerships with\")", ("label", "note", "lead", "own_headline_size"), lambda d: True,
              _number_body, check=_needs_label, shares_headline=True,
              sample=lambda: Panel(id="partners", kind="number", headline="more than 40", label="partners",
                                   alt="more than 40 partners")),
)}


def inferred_kind(data: dict) -> str:
    """The kind of a figure written without `kind:`: the first kind whose `infer` says yes."""
    return next(k.name for k in KINDS.values() if k.infer(data))
