"""Figures: a rule's value, the claim the report printed, and the text the page prints.

Every figure (and every part of a breakdown) is computed from the data, checked against its claim
("more than 40" must be true of the value) and printed from its value by a template, so a new year's
data prints "more than 70" without an edit. `panels_for` turns figures into what render draws.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

import pandas as pd

from infopipe.concepts.claims import Claim, ClaimError, parse_claim
from infopipe.concepts.verdicts import meaningful, shown, verdict
from infopipe.errors import InfopipeError, Problem
from infopipe.concepts.formats import FormatError, render_template
from infopipe.present.panels import Page, Panel, Part, Segment
from infopipe.files import inside, reuse_file, sha256_file
from infopipe.run.provenance import write_json
from infopipe.concepts.rules import apply_rule, rule_columns
from infopipe.spec.model import FIGURE_REF, Filter, FigureSpec, Spec, part_id

SAMPLE = 20  # record ids kept in figures.json; all of them go to lineage/<figure>.parquet


@dataclass(frozen=True)
class FigureResult:
    id: str
    label: str
    value: Any
    printed: str
    published: str | None
    claim_kind: str | None
    claim_meaning: str | None
    claim_holds: bool | None  # None: the report printed no claim (a breakdown's unprinted total)
    printed_holds: bool | None  # is the printed text itself true of the value?
    accepted_difference: str | None
    note: str | None
    panel: bool
    kind: str
    dataset: str
    rule: dict
    rule_in_words: str
    explanation: str
    record_count: int
    parent: str | None = None  # the breakdown this figure is a part of
    record_ids: pd.Series = field(default=None, compare=False, repr=False)
    records: pd.DataFrame = field(default=None, compare=False, repr=False)  # the fields the rule used
    line: int = 0

    @classmethod
    def from_dict(cls, data: dict) -> "FigureResult":
        names = {f.name for f in fields(cls)} - {"record_ids", "records"}
        return cls(**{k: v for k, v in data.items() if k in names})

    @property
    def matches(self) -> bool:
        """The page prints exactly what the report printed."""
        return self.printed == self.published

    def to_dict(self) -> dict:
        out = {k: getattr(self, k) for k in (
            "id", "label", "value", "printed", "published", "matches", "claim_kind", "claim_meaning",
            "claim_holds", "printed_holds", "accepted_difference", "note", "panel", "kind", "parent",
            "dataset", "rule", "rule_in_words", "explanation", "record_count")}
        out["record_sample"] = [str(v) for v in self.record_ids.head(SAMPLE)] if self.record_ids is not None else []
        out["value"] = meaningful(self.value)  # what people read; the exact float is kept beside it
        if out["value"] != self.value:
            out["value_exact"] = self.value
        out["verdict"] = verdict(self).name
        return out


def _claim(text: str | None, tolerance: float) -> Claim | None:
    return parse_claim(text, tolerance) if text is not None else None


def _printed_holds(printed: str, value, tolerance: float) -> bool | None:
    try:
        return parse_claim(printed, tolerance).holds(value)
    except ClaimError:
        return None  # free text around the number: nothing to check it against


def _result(spec: Spec, fig: FigureSpec, rule, tables: dict, *, fid: str, label: str,
            published: str | None, parent: str | None = None) -> FigureResult:
    ds = spec.datasets[rule.dataset]
    period = spec.period_for(rule)
    result = apply_rule(rule, tables, ds.primary_key, period)
    if result.value is None:
        raise InfopipeError("compute", [Problem(str(spec.path), "no-records", f"figure '{fid}': no "
                                                f"records to compute {rule.describe(period)}", line=fig.line)])
    claim = _claim(published, fig.tolerance)
    template = (fig.print_as if parent is None else None) or (claim.print_template if claim else "{comma}")
    try:
        printed = render_template(template, result.value)
    except FormatError as err:
        raise InfopipeError("compute", [Problem(str(spec.path), "print-format", f"figure '{fid}': {err}",
                                                line=fig.line, value=str(result.value))]) from None
    return FigureResult(
        id=fid, label=label, value=result.value, printed=printed, published=published,
        claim_kind=claim.kind if claim else None, claim_meaning=claim.words() if claim else None,
        claim_holds=claim.holds(result.value) if claim else None,
        printed_holds=_printed_holds(printed, result.value, fig.tolerance),
        accepted_difference=fig.accepted_difference, note=fig.note if parent is None else None,
        panel=fig.panel and parent is None, kind=fig.kind if parent is None else "part",
        dataset=rule.dataset, rule=rule.to_dict(), rule_in_words=rule.describe(period),
        explanation=fig.explanation, record_count=len(result.record_ids), parent=parent,
        record_ids=result.record_ids, line=fig.line,
        records=result.selected[list(dict.fromkeys(
            rule_columns(rule, ds.primary_key) + ([period[0]] if period else [])
            + (["source"] if "source" in result.selected else [])))],
    )


def part_rule(fig: FigureSpec, part):
    """A breakdown part's rule: the figure's rule, narrowed to one value of the breakdown column."""
    narrowed = Filter(column=fig.breakdown.column, op="equals", value=part.value)
    rule = fig.rule.model_copy(update={"where": (*fig.rule.where, narrowed)})
    rule._via_target = fig.rule.via_target  # found when the spec was checked; private, so not copied
    return rule


def compute_figure(spec: Spec, fig: FigureSpec, tables: dict) -> list[FigureResult]:
    """A figure's result, then one result per breakdown part."""
    out = [_result(spec, fig, fig.rule, tables, fid=fig.id, label=fig.label, published=fig.published)]
    for part in fig.breakdown.parts if fig.breakdown else ():
        out.append(_result(spec, fig, part_rule(fig, part), tables, fid=part_id(fig, part), label=part.label,
                           published=part.published, parent=fig.id))
    return out


def compute_figures(spec: Spec, tables: dict) -> list[FigureResult]:
    """Every figure of the spec, with notes filled in from other figures' printed text."""
    frames = {n: t.frame for n, t in tables.items()}
    results = [r for fig in spec.figures for r in compute_figure(spec, fig, frames)]
    return fill_notes(results)


class _ParquetTables(Mapping):
    """Typed tables read from their Parquet files only when a rule asks for one."""

    def __init__(self, paths: dict[str, Path]):
        self.paths, self.loaded = paths, {}

    def __getitem__(self, name: str) -> pd.DataFrame:
        if name not in self.loaded:
            self.loaded[name] = pd.read_parquet(self.paths[name])
        return self.loaded[name]

    def __iter__(self):
        return iter(self.paths)

    def __len__(self) -> int:
        return len(self.paths)


def compute_and_record(spec: Spec, datasets: list[dict], folder: Path, previous: Path | None,
                       force: bool = False) -> dict:
    """Compute what changed, reuse what did not, check every claim, and write figures.json and
    lineage/<figure>.parquet (the records behind each figure, with the fields its rule used)."""
    from infopipe.run.pipeline import figure_key  # keys live with the run, which also needs them for `status`

    keys = {d["dataset"]: d["key"] for d in datasets}
    raw = {d["dataset"]: {"path": d["raw_file"], "sha256": d["raw_sha256"]} for d in datasets}
    tables = _ParquetTables({d["dataset"]: Path(d["path"]) for d in datasets})
    old = {} if force or previous is None else {f["id"]: f for f in _figures_json(previous)}
    (folder / "lineage").mkdir(parents=True, exist_ok=True)
    entries, computed = [], []
    for fig in spec.figures:
        key = figure_key(spec, fig, keys)
        ids = [fig.id] + [part_id(fig, p) for p in (fig.breakdown.parts if fig.breakdown else ())]
        reusable = all(old.get(i, {}).get("key") == key and (previous / old[i]["lineage"]["path"]).is_file()
                       for i in ids)
        if reusable:
            for i in ids:
                reuse_file(previous / old[i]["lineage"]["path"], inside(folder, old[i]["lineage"]["path"], "compute"))
                # a reused figure takes this spec's line: an edit that only moves lines changes nothing else
                entries.append({**old[i], "note": fig.note if i == fig.id else None, "line": fig.line})
            continue
        computed += ids
        for result in compute_figure(spec, fig, tables):
            lineage = inside(folder, f"lineage/{result.id}.parquet", "compute")
            result.records.to_parquet(lineage, index=False)
            entries.append({**result.to_dict(), "note": result.note, "key": key, "line": fig.line,
                            "input": raw[result.dataset],
                            "lineage": {"path": f"lineage/{result.id}.parquet", "sha256": sha256_file(lineage)}})
    printed = {e["id"]: e["printed"] for e in entries}
    said = statements(spec, printed, {e["id"]: e["label"] for e in entries})
    for e in entries:
        if e["note"]:
            e["note"] = filled(e["note"], printed)
        e["statement"] = said.get(e["id"], "")
    check_claims(spec, [FigureResult.from_dict(e) for e in entries])
    write_json(folder / "figures.json", {"project": spec.project, "spec_sha256": spec.sha256, "figures": entries})
    from infopipe.data.validate import describe_checks

    validation = [{"dataset": d["dataset"], "file": d["raw_file"], "rows": d["rows"], "status": "passed",
                   "primary_key": spec.datasets[d["dataset"]].primary_key,
                   "checks": describe_checks(spec.datasets[d["dataset"]])} for d in datasets]
    return {"figures": entries, "computed": computed, "validation": validation}


def _figures_json(run: Path) -> list[dict]:
    try:
        return json.loads((run / "figures.json").read_text(encoding="utf-8"))["figures"]
    except (OSError, ValueError, KeyError):
        return []


def read_figures(folder: Path) -> list[FigureResult]:
    return [FigureResult.from_dict(f) for f in _figures_json(folder)]


def fill_notes(results: list[FigureResult]) -> list[FigureResult]:
    printed = {r.id: r.printed for r in results}
    return [replace(r, note=filled(r.note, printed)) if r.note else r for r in results]


def filled(note: str, printed: dict[str, str]) -> str:
    """A note with each {figure} replaced by that figure's printed text."""
    return FIGURE_REF.sub(lambda m: printed[m.group(1)], note)


def statements(spec: Spec, printed: dict[str, str], labels: dict[str, str]) -> dict[str, str]:
    """What the page says that holds each figure, in words: a sentence figure's sentence, a number's
    "15 recruits", a part's "6 online workshops"; a figure drawn only inside another's sentence or
    note gets that sentence. Reviewers and readers of figures.csv name a figure by it."""
    said: dict[str, str] = {}
    for fig in spec.figures:
        own = filled(fig.sentence, printed) if fig.sentence else f"{printed[fig.id]} {fig.label}".strip()
        if fig.note and fig.kind != "sentence":
            own += f", {filled(fig.note, printed)}"
        said[fig.id] = own
        for part in fig.breakdown.parts if fig.breakdown else ():
            pid = part_id(fig, part)
            said[pid] = f"{printed[pid]} {labels.get(pid, part.label)}".strip()
    for fig in spec.figures:  # a hidden figure is said where another figure's text names it
        for text in (fig.sentence, fig.note):
            for ref in FIGURE_REF.findall(text or ""):
                hidden = next((f for f in spec.figures if f.id == ref and not f.panel), None)
                if hidden is not None and said.get(ref) == f"{printed[ref]} {hidden.label}".strip():
                    said[ref] = said[fig.id]
    return said


def check_claims(spec: Spec, results: list[FigureResult]) -> None:
    """Fail when a value does not satisfy what the report printed, or the page would print
    something untrue, unless the spec accepts the difference with a reason."""
    problems = []
    for r in results:
        if r.accepted_difference:
            continue
        if r.claim_holds is False:
            problems.append(Problem(
                str(spec.path), "published-mismatch",
                f"figure '{r.id}' computes to {shown(r.value)}, which does not satisfy what the report "
                f"printed, {r.published!r} ({r.claim_kind}: {r.claim_meaning}); fix the data, or add "
                "accepted_difference with the reason", line=r.line, value=r.printed))
        elif r.printed_holds is False:
            problems.append(Problem(
                str(spec.path), "printed-false",
                f"figure '{r.id}' would print {r.printed!r}, which is not true of its value "
                f"{shown(r.value)}: change its print template (e.g. 'more than {{below:10}}' instead "
                "of '{floor:10}')", line=r.line, value=r.printed))
    if problems:
        raise InfopipeError("check_published", problems)


# ---------------------------------------------------------------- panels

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


def panels_for(spec: Spec, results: list[FigureResult]) -> list[Panel]:
    """One panel per figure shown, its kind chosen by the spec, with alt text built from the claim."""
    by_id = {r.id: r for r in results}
    printed = {r.id: r.printed for r in results}
    palette = spec.theme.palette
    panels = []
    for fig in (f for f in spec.figures if f.panel):
        r = by_id[fig.id]
        common = dict(id=fig.id, kind=fig.kind, headline=r.printed, label=fig.label,
                      icon=spec.icons.get(fig.id, ""), color=palette[len(panels) % len(palette)])
        note = r.note or ""
        if fig.kind == "sentence":
            segments = _segments(fig.sentence, printed)
            text = "".join(s.text for s in segments)
            panels.append(Panel(**common, segments=segments, note=note, alt=text + (f". {note}" if note else "")))
        elif fig.kind == "breakdown":
            parts = tuple(Part(by_id[pid].label, by_id[pid].printed, float(by_id[pid].value), pid)
                          for pid in (part_id(fig, p) for p in fig.breakdown.parts))
            # the label heads the parts; the total, when the report printed one, is said once, under them
            total = f"{r.printed} in total" if fig.breakdown.show_total else ""
            listed = ", ".join(f"{p.printed} {p.label}" for p in parts)
            alt = f"{fig.label}: {listed}" if fig.label else listed
            common["headline"] = ""
            panels.append(Panel(**common, parts=parts, total=total, note=note,
                                alt=alt + (f"; {total}" if total else "")))
        else:
            refs = FIGURE_REF.findall(fig.note or "")
            sub = printed[refs[0]] if refs else ""
            alt = f"{r.printed} {fig.label}" + (f", {note}" if note else "")
            panels.append(Panel(**common, note=note, note_figure=sub, alt=alt))
    return panels


def page_for(spec: Spec, results: list[FigureResult]) -> Page:
    return Page(spec.title, spec.subtitle, spec.credit, tuple(panels_for(spec, results)), spec.theme, spec.page)
