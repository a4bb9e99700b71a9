"""Figures become the page: one panel per figure shown, its body and alt text made by its kind
(concepts/panels.py), its accent colour taken from the theme's palette in turn.

Reads the spec and the computed figures; render draws only the Page made here.
"""

from __future__ import annotations

from infopipe.compute import FigureResult
from infopipe.concepts.panels import KINDS, Figures
from infopipe.present.panels import Page, Panel
from infopipe.spec.model import Spec


def panels_for(spec: Spec, results: list[FigureResult]) -> list[Panel]:
    """One panel per figure shown, its kind chosen by the spec, with alt text built from the claim."""
    figures = Figures({r.id: r for r in results}, {r.id: r.printed for r in results}, spec.locale)
    palette = spec.theme.palette
    panels = []
    for fig in (f for f in spec.figures if f.panel):
        common = dict(id=fig.id, kind=fig.kind, headline=figures.by_id[fig.id].printed, label=fig.label,
                      icon=spec.icons.get(fig.id, ""), color=palette[len(panels) % len(palette)])
        panels.append(Panel(**{**common, **KINDS[fig.kind].body(fig, figures)}))
    return panels


def page_for(spec: Spec, results: list[FigureResult]) -> Page:
    return Page(spec.title, spec.subtitle, spec.credit, tuple(panels_for(spec, results)), spec.theme, spec.page)
