"""What render draws: plain objects built by compute, so render never reads the spec or the data."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Part:
    """One bar of a breakdown."""

    label: str
    printed: str
    value: float


@dataclass(frozen=True)
class Segment:
    """A piece of a sentence; figure pieces are emphasised."""

    text: str
    is_figure: bool


@dataclass(frozen=True)
class Panel:
    id: str  # figure id: letters, digits, _ and -; used in file names and SVG ids
    kind: str  # "number" | "sentence" | "breakdown" | "subcount"
    headline: str  # printed text of the headline figure: "15", "£1m", "more than 40"
    label: str = ""
    note: str = ""
    note_figure: str = ""  # subcount: the printed sub-figure inside note, to emphasise
    segments: tuple[Segment, ...] = ()
    parts: tuple[Part, ...] = ()
    total: str = ""
    alt: str = ""
    icon: str = ""  # SVG path data in a 100x100 box (y down)
    color: str = "#b6244f"


@dataclass(frozen=True)
class Theme:
    font_family: str = "Liberation Sans, Arial, sans-serif"
    background: str = "#ffffff"
    panel_background: str = "#ffffff"
    text: str = "#222222"
    muted: str = "#666666"
    palette: tuple[str, ...] = ("#b6244f",)
    min_text_scale: float = 0.6


@dataclass(frozen=True)
class Layout:
    columns: int = 4
    panel_width: int = 300
    panel_height: int = 300
    gap: int = 24
    margin: int = 48
    header_height: int = 130
    footer_height: int = 48


@dataclass(frozen=True)
class Page:
    title: str
    subtitle: str
    credit: str
    panels: tuple[Panel, ...]
    theme: Theme
    layout: Layout
