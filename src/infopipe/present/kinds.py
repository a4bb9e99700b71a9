"""Figures become panels: the kind a figure is drawn as, its text and its alt text.

Reads the spec and the computed figures; render draws only the Panel objects made here.
"""

from __future__ import annotations

from infopipe.compute import FigureResult
from infopipe.present.panels import Page, Panel, Part, Segment
from infopipe.spec.model import FIGURE_REF, Spec, part_id


def _segments(template: str, printed: dict[str, str]) -> tuple[Segment, ...]:
    pieces, at = [], 0
    for m in FIGURE_REF.finditer(template):
        if m.start() > at:
            pieces.append(Segment(template[at:m.start()], False))
        pieces.append(Segment(printed[m.group(1)], True))
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
            parts = tuple(Part(by_id[part_id(fig, p)].label, by_id[part_id(fig, p)].printed,
                               float(by_id[part_id(fig, p)].value)) for p in fig.breakdown.parts)
            total = f"{r.printed} {fig.label}".strip() if fig.breakdown.show_total else ""
            listed = ", ".join(f"{p.printed} {p.label}" for p in parts)
            alt = f"{fig.label}: {listed}" if fig.label else listed
            if not fig.breakdown.show_total:  # the report printed no total: the label heads the parts
                common["headline"] = ""
            panels.append(Panel(**common, parts=parts, total=total, note=note,
                                alt=alt + (f"; {total} in total" if total else "")))
        else:
            refs = FIGURE_REF.findall(fig.note or "")
            sub = printed[refs[0]] if refs else ""
            alt = f"{r.printed} {fig.label}" + (f", {note}" if note else "")
            panels.append(Panel(**common, note=note, note_figure=sub, alt=alt))
    return panels


def page_for(spec: Spec, results: list[FigureResult]) -> Page:
    return Page(spec.title, spec.subtitle, spec.credit, tuple(panels_for(spec, results)), spec.theme, spec.page)
