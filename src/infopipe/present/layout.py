"""Where everything in a panel and on the page goes: positions, sizes and lines, never markup.

Each panel kind stacks its blocks (icon, headline, label, note, sentence, parts, total) from the top.
Text wraps to the inner width; when the stack is taller than the frame, everything shrinks in steps
down to the theme's min_text_scale; then the icon goes; then the longest block loses lines, its last
line ending in an ellipsis. If even that cannot fit, the panel fails with a clear message rather
than drawing past its frame. The templates turn the result into SVG.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from typing import Callable

from infopipe.present.colours import hex_colour, mix
from infopipe.errors import InfopipeError, Problem
from infopipe.concepts.panels import KINDS
from infopipe.present.panels import PANEL_ID, Layout, Page, Panel, Segment, Theme
from infopipe.present.textfit import Fonts, Line, Run, fonts_for, runs_width, wrap, wrap_limited

BASE = 300.0  # the sizes below are for a 300 x 300 panel; other sizes scale them
ICON_PATH = re.compile(r"^[MLHVCSQTAZmlhvcsqtaz0-9.,\seE+-]*$")


# --- what gets drawn ----------------------------------------------------------------------------

@dataclass(frozen=True)
class Piece:
    """A run of text in a line; bold/fill/cls are set only where they differ from the block; `id`
    names a figure inside a sentence (on its first piece only, so ids stay unique)."""

    text: str
    bold: bool = False
    fill: str = ""
    cls: str = ""
    id: str = ""


def sub_id(parent: str, name: str) -> str:
    """The id of a part of `parent` ("panel-partners--value"): letters, digits, '-' and '_' only,
    so it works unescaped in CSS selectors (`#panel-partners--value`), where a '.' would not."""
    return f"{parent}--{name}"


FIGURE_TAG = ":"  # a run's tag "value:partners" is the class "value" and the figure "partners"


@dataclass(frozen=True)
class TextLine:
    x: float
    y: float  # baseline
    pieces: tuple[Piece, ...]


@dataclass(frozen=True)
class TextBlock:
    id: str
    cls: str
    size: float
    fill: str
    bold: bool
    anchor: str  # "middle" | "start" | "end"
    lines: tuple[TextLine, ...]
    kind: str = "text"


@dataclass(frozen=True)
class Box:
    id: str
    cls: str
    x: float
    y: float
    w: float
    h: float
    fill: str
    stroke: str = ""
    stroke_width: float = 0
    rx: float = 0
    kind: str = "rect"


@dataclass(frozen=True)
class Icon:
    id: str
    d: str
    x: float
    y: float
    size: float
    fill: str
    cls: str = "icon"
    kind: str = "icon"


@dataclass(frozen=True)
class Group:
    id: str
    cls: str
    items: tuple
    kind: str = "group"


@dataclass(frozen=True)
class Embedded:
    """A panel body drawn elsewhere (a batch drawer): its SVG markup, placed in the panel's frame.
    The drawer is responsible for the markup being safe SVG."""

    id: str
    cls: str
    x: float
    y: float
    markup: str
    kind: str = "embedded"


@dataclass(frozen=True)
class DrawnPanel:
    id: str  # "panel-<figure id>"
    cls: str
    kind: str
    width: int
    height: int
    title: str
    desc: str
    items: tuple


@dataclass(frozen=True)
class DrawnPage:
    width: int
    height: int
    title: str
    desc: str
    background: str
    header: tuple
    panels: tuple[tuple[float, float, DrawnPanel], ...]
    footer: tuple


# --- checks ---------------------------------------------------------------------------------------

def check_panel(panel: Panel) -> None:
    """Refuse what would make a bad file name, id or path: render trusts nothing it is given."""
    where = f"panel {panel.id!r}"
    if not isinstance(panel.id, str) or not PANEL_ID.match(panel.id):
        raise InfopipeError("render", [Problem(where, "panel-id", "a panel id may hold only letters, "
                                               "digits, '_' and '-'")])
    if panel.kind not in KINDS:
        raise InfopipeError("render", [Problem(where, "panel-kind", f"unknown panel kind {panel.kind!r}; "
                                               f"known: {', '.join(KINDS)}")])
    named = [p.id for p in panel.parts if p.id] + [s.figure for s in panel.segments if s.figure]
    if any(not isinstance(n, str) or not PANEL_ID.match(n) for n in named):
        raise InfopipeError("render", [Problem(where, "panel-id", "a part's or a sentence figure's id may "
                                               "hold only letters, digits, '_' and '-'")])
    if not ICON_PATH.match(panel.icon):
        raise InfopipeError("render", [Problem(where, "icon", "icon path data may hold only path "
                                               "letters, numbers, spaces and commas")])


# --- helpers --------------------------------------------------------------------------------------

def scales(minimum: float) -> list[float]:
    """1.0, 0.95, ... down to the theme's minimum, which is always tried last."""
    out, step = [], 0
    while 1.0 - 0.05 * step > minimum + 1e-9:
        out.append(round(1.0 - 0.05 * step, 2))
        step += 1
    return out + [minimum]


def _pieces(line: Line, fills: dict[str, str], block_bold: bool, prefix: str, named: set) -> tuple[Piece, ...]:
    """A line's pieces; a figure's first piece gets the id `<panel>--figure-<figure id>`."""
    out = []
    for r in line:
        cls, _, figure = r.tag.partition(FIGURE_TAG)
        piece_id = ""
        if figure and figure not in named:
            named.add(figure)
            piece_id = sub_id(prefix, f"figure-{figure}")
        out.append(Piece(r.text, bold=r.bold and not block_bold, fill=fills.get(cls, ""), cls=cls, id=piece_id))
    return tuple(out)


@dataclass
class Stack:
    """Blocks placed top-down in a box of inner width `width` centred on `cx`, from y = 0."""

    fonts: Fonts
    prefix: str
    cx: float
    left: float
    width: float
    y: float = 0.0
    items: list = field(default_factory=list)
    lines: dict = field(default_factory=dict)  # block name -> number of lines drawn
    headline_cap: float | None = None  # the page's shared headline size (number panels), if any

    def gap(self, height: float) -> None:
        if self.items:
            self.y += height

    def text(self, name: str, cls: str, runs, size: float, fill: str, *, bold=False, pitch=1.2,
             max_lines=None, fills=None, anchor="middle", width=None, x=None) -> TextBlock | None:
        """Wrap styled runs into a text block at the current y; lines centred unless anchored."""
        width = self.width if width is None else width
        lines = wrap_limited(runs, self.fonts, size, width, max_lines)
        if not lines:
            return None
        self.lines[name] = len(lines)
        face = self.fonts.face(bold)
        multi = any(len(line) > 1 for line in lines)
        if anchor == "middle" and multi:
            anchor = "start"  # cairo anchors each tspan alone; place mixed-style lines ourselves
            xs = [self.cx - runs_width(line, self.fonts, size) / 2 for line in lines]
        else:
            at = {"middle": self.cx, "start": self.left, "end": self.left + self.width}[anchor]
            xs = [at if x is None else x] * len(lines)
        top, named = self.y, set()
        placed = tuple(TextLine(xs[i], top + face.ascent * size + i * pitch * size,
                                _pieces(line, fills or {}, bold, self.prefix, named)) for i, line in enumerate(lines))
        block = TextBlock(sub_id(self.prefix, name), cls, size, fill, bold, anchor, placed)
        self.y = top + (len(lines) - 1) * pitch * size + face.line_height(size)
        self.items.append(block)
        return block


def _headline(stack: Stack, panel: Panel, base: float, s: float, min_scale: float, fill: str) -> None:
    """The headline at `base * s`, shrunk to the width on one line; below `base * min_scale`, two lines."""
    face, size, floor = stack.fonts.bold, base * s, base * min_scale
    if stack.headline_cap is not None:
        size, floor = min(size, stack.headline_cap), min(floor, stack.headline_cap)
    natural = face.width(panel.headline, size)
    if natural <= stack.width or natural * floor / size <= stack.width:
        fitted = size if natural <= stack.width else size * stack.width / natural
        stack.text("value", "value", [Run(panel.headline, True)], fitted, fill, bold=True, pitch=1.0)
        return
    longest = max(face.width(word, floor) for word in panel.headline.split())
    if longest > stack.width:  # never break inside a word of the headline: shrink below the floor
        floor *= stack.width / longest
    lines = wrap([Run(panel.headline, True)], stack.fonts, floor, stack.width)
    widest = max(runs_width(line, stack.fonts, floor) for line in lines)
    stack.text("value", "value", [Run(panel.headline, True)], min(size, floor * stack.width / widest),
               fill, bold=True, pitch=1.0, max_lines=2)


def _icon(stack: Stack, panel: Panel, size: float, fill: str) -> None:
    stack.items.append(Icon(sub_id(stack.prefix, "icon"), panel.icon, stack.cx - size / 2, stack.y, size, fill))
    stack.y += size


def _note_runs(panel: Panel) -> list[Run]:
    """A sub-count's note with its sub-figure in bold; other notes as plain text."""
    fig = panel.note_figure
    if panel.kind == "subcount" and fig and fig in panel.note:
        before, _, after = panel.note.partition(fig)
        return [Run(before), Run(fig, True, "sub-value"), Run(after)]
    return [Run(panel.note)]


# --- drawings: how each panel kind of concepts/panels.py is drawn ------------------------------------

Builder = Callable[["Stack", Panel, Theme, float, float, bool, dict], None]
BatchDrawer = Callable[[tuple[Panel, ...], Theme, Layout], dict[str, str]]
BUILDERS: dict[str, Builder] = {}  # template kinds: stack the panel's text blocks
BATCH_DRAWERS: dict[str, BatchDrawer] = {}  # other kinds: every panel of the kind at once -> {id: SVG markup}


def draws(*kinds: str):
    """Register a builder for panel kinds drawn from stacked text blocks and the SVG templates."""
    def register(builder: Builder) -> Builder:
        BUILDERS.update(dict.fromkeys(kinds, builder))
        return builder
    return register


def draws_in_batch(*kinds: str):
    """Register a drawer that draws every panel of these kinds in one call (say, one plotly + kaleido
    export per run) and returns each panel's body as SVG markup, placed inside the panel's frame."""
    def register(drawer: BatchDrawer) -> BatchDrawer:
        BATCH_DRAWERS.update(dict.fromkeys(kinds, drawer))
        return drawer
    return register


def drawn_in_batches(panels, theme: Theme, lay: Layout) -> dict[str, str]:
    """The bodies of every panel whose kind is drawn by a batch drawer, one call per drawer."""
    out: dict[str, str] = {}
    for drawer in dict.fromkeys(BATCH_DRAWERS[p.kind] for p in panels if p.kind in BATCH_DRAWERS):
        out.update(drawer(tuple(p for p in panels if BATCH_DRAWERS.get(p.kind) is drawer), theme, lay))
    return out


# --- the four kinds ---------------------------------------------------------------------------------

@draws("number", "subcount")
def build_number(stack: Stack, panel: Panel, theme: Theme, k: float, s: float, icon: bool, cut: dict):
    """number and subcount: icon, big headline, label, note."""
    accent = hex_colour(panel.color)
    if icon and panel.icon:
        _icon(stack, panel, 72 * k * s, accent)
        stack.y += 6 * k * s
    if panel.lead:
        stack.text("lead", "lead", [Run(panel.lead)], 22 * k * s, hex_colour(theme.text),
                   max_lines=cut.get("lead"))
        stack.gap(6 * k * s)
    _headline(stack, panel, 64 * k, s, theme.min_text_scale, accent)
    if panel.label:
        stack.gap(4 * k * s)
        stack.text("label", "label", [Run(panel.label)], 22 * k * s, hex_colour(theme.text),
                   max_lines=cut.get("label"))
    if panel.note and cut.get("note", 1) > 0:
        stack.gap(8 * k * s)
        stack.text("note", "note", _note_runs(panel), 16 * k * s, hex_colour(theme.muted), pitch=1.25,
                   max_lines=cut.get("note"), fills={"sub-value": hex_colour(theme.text)})


@draws("sentence", "list")
def build_sentence(stack: Stack, panel: Panel, theme: Theme, k: float, s: float, icon: bool, cut: dict):
    """sentence: the statement wrapped, its figures bold in the accent colour (first one = value)."""
    accent = hex_colour(panel.color)
    if icon and panel.icon:
        _icon(stack, panel, 56 * k * s, accent)
        stack.y += 14 * k * s
    runs, first = [], True
    for seg in panel.segments or (Segment(panel.headline, True, panel.id),):
        if seg.is_figure:
            tag = "value" if first else "figure"
            runs.append(Run(seg.text, True, f"{tag}{FIGURE_TAG}{seg.figure}" if seg.figure else tag))
            first = False
        else:
            runs.append(Run(seg.text))
    stack.text("sentence", "sentence", runs, 26 * k * s, hex_colour(theme.text), pitch=1.25,
               max_lines=cut.get("sentence"), fills={"value": accent, "figure": accent})


@draws("breakdown")
def build_breakdown(stack: Stack, panel: Panel, theme: Theme, k: float, s: float, icon: bool, cut: dict):
    """breakdown: headline and label, one labelled bar per part (proportional), then the total."""
    accent, text, muted = hex_colour(panel.color), hex_colour(theme.text), hex_colour(theme.muted)
    track = mix(accent, theme.panel_background, 0.16)
    if icon and panel.icon:
        _icon(stack, panel, 44 * k * s, accent)
        stack.y += 6 * k * s
    _headline(stack, panel, 48 * k, s, theme.min_text_scale, accent)
    if panel.label:
        stack.gap(2 * k * s)
        stack.text("label", "label", [Run(panel.label)], 18 * k * s, text, max_lines=cut.get("label"))
    biggest = max([p.value for p in panel.parts if p.value > 0], default=0)
    size, bar_h = 15 * k * s, 7 * k * s
    for i, part in enumerate(panel.parts, start=1):
        stack.gap((12 if i == 1 else 8) * k * s)
        row = Stack(stack.fonts, sub_id(stack.prefix, f"part-{part.id or i}"), stack.cx, stack.left, stack.width, stack.y)
        value_w = stack.fonts.bold.width(part.printed, size)
        row.text("value", "part-value", [Run(part.printed, True)], size, text, bold=True, anchor="end")
        row.y = stack.y
        label_w = max(stack.width - value_w - 10 * k * s, stack.width * 0.3)
        row.text("label", "part-label", [Run(part.label)], size, text, anchor="start", width=label_w,
                 max_lines=cut.get("parts"))
        stack.lines["parts"] = max(stack.lines.get("parts", 0), row.lines.get("label", 0))
        row.y += 4 * k * s
        length = stack.width * part.value / biggest if biggest and part.value > 0 else 0
        row.items.append(Box(sub_id(row.prefix, "track"), "bar-track", stack.left, row.y, stack.width, bar_h, track,
                             rx=bar_h / 2))
        if length:
            row.items.append(Box(sub_id(row.prefix, "bar"), "bar", stack.left, row.y, max(length, bar_h), bar_h,
                                 accent, rx=bar_h / 2))
        stack.items.append(Group(row.prefix, "part", tuple(row.items)))
        stack.y = row.y + bar_h
    if panel.total:
        stack.gap(10 * k * s)
        stack.items.append(Box(sub_id(stack.prefix, "total-rule"), "total-rule", stack.left, stack.y, stack.width,
                               max(1.0, k), mix(muted, theme.panel_background, 0.5)))
        stack.y += 6 * k * s
        stack.text("total", "total", [Run(panel.total, True)], 16 * k * s, text, bold=True, anchor="start",
                   max_lines=cut.get("total"))


CUT_ORDER = ("note", "parts", "label", "lead", "sentence", "total")  # which block loses lines first, on a tie


# --- fitting ----------------------------------------------------------------------------------------

def _shift(item, dy: float):
    if isinstance(item, TextBlock):
        return replace(item, lines=tuple(replace(line, y=line.y + dy) for line in item.lines))
    if isinstance(item, Group):
        return replace(item, items=tuple(_shift(i, dy) for i in item.items))
    return replace(item, y=item.y + dy)


def _build(panel: Panel, theme: Theme, lay: Layout, fonts: Fonts, s: float, icon: bool, cut: dict,
           cap: float | None = None) -> Stack:
    k = min(lay.panel_width, lay.panel_height) / BASE
    pad = 24 * k
    stack = Stack(fonts, f"panel-{panel.id}", lay.panel_width / 2, pad, lay.panel_width - 2 * pad,
                  headline_cap=cap)
    BUILDERS[panel.kind](stack, panel, theme, k, s, icon, cut)
    return stack


def fit_panel(panel: Panel, theme: Theme, lay: Layout, reserve_icon: bool,
              cap: float | None = None) -> tuple[Stack, float]:
    """The largest drawing of the panel that fits its frame, and the y where its stack starts;
    `cap`: the largest headline size allowed (the page's shared size)."""
    fonts = fonts_for(theme.first_family())
    k = min(lay.panel_width, lay.panel_height) / BASE
    pad = 24 * k
    room = lay.panel_height - 2 * pad
    stack = None
    for s in scales(theme.min_text_scale):
        stack = _build(panel, theme, lay, fonts, s, True, {}, cap)
        if stack.y <= room:
            break
    else:
        s, cut = theme.min_text_scale, {}
        stack = _build(panel, theme, lay, fonts, s, False, cut, cap)
        while stack.y > room:
            longest = max(CUT_ORDER, key=lambda n: (stack.lines.get(n, 0), -CUT_ORDER.index(n)))
            have = stack.lines.get(longest, 0)
            if have <= 1:
                if longest == "note" and have == 1:
                    cut["note"] = 0
                else:
                    raise InfopipeError("render", [Problem(
                        f"panel {panel.id!r}", "text-fit",
                        f"the {panel.kind} panel cannot fit its text in {lay.panel_width}x{lay.panel_height} "
                        f"even at the theme's min_text_scale {theme.min_text_scale} with one line per "
                        "block: make the panel larger or the text shorter")])
            else:
                cut[longest] = have - 1
            stack = _build(panel, theme, lay, fonts, s, False, cut, cap)
    top = pad + (room - stack.y) / 2
    if panel.kind in ("number", "subcount"):
        # Keep headlines level across a row: put the baseline where a one-line label, no note and
        # (when the page has icons) an icon would put it; move up only as far as longer text needs.
        stand_in = replace(panel, headline="0", label="x" if panel.label else "", note="", lead="",
                           icon=panel.icon or ("M0 0 Z" if reserve_icon else ""))
        ref = _build(stand_in, theme, lay, fonts, 1.0, True, {}, cap)
        ref_top = pad + max(0.0, (room - ref.y) / 2)
        top = ref_top + _baseline(ref) - _baseline(stack)
        top = max(pad, min(top, pad + room - stack.y))
        # and icons level too: a smaller headline leaves room, so the icon moves up to where it sits
        # in the reference (a larger gap under it, never an overlap)
        if stack.items and isinstance(stack.items[0], Icon) and ref_top < top:
            stack.items[0] = replace(stack.items[0], y=ref_top - top)
    return stack, top


def _baseline(stack: Stack) -> float:
    """The baseline of the headline's last line (the one holding the number)."""
    value = next(i for i in stack.items if isinstance(i, TextBlock) and i.cls == "value")
    return value.lines[-1].y


def panel_title(panel: Panel) -> str:
    if panel.kind == "sentence":
        return panel.sentence_text() or panel.headline
    return " ".join(t for t in (panel.lead, panel.headline, panel.label) if t)


def shared_headline_size(page: Page, reserve_icon: bool) -> float | None:
    """One headline size for every number panel of the page: the smallest that fits any of them
    alone (a panel with `own_size` keeps its own and does not count)."""
    sizes = []
    for panel in page.panels:
        if KINDS[panel.kind].shares_headline and not panel.own_size:
            stack, _ = fit_panel(panel, page.theme, page.layout, reserve_icon)
            sizes.append(min(b.size for b in stack.items if isinstance(b, TextBlock) and b.cls == "value"))
    return min(sizes) if len(sizes) > 1 else None


def layout_panel(panel: Panel, theme: Theme, lay: Layout, reserve_icon: bool | None = None,
                 batch: dict[str, str] | None = None, headline_size: float | None = None) -> DrawnPanel:
    """The panel's frame and content, fitted, in its own coordinates (0, 0)-(width, height).

    `reserve_icon`: place the headline as if the panel had an icon (so that on a page where some
    panels have icons, every headline sits at the same height); default: when it has one.
    `batch`: bodies already drawn by batch drawers (drawn here for this panel alone when missing).
    `headline_size`: the page's shared headline size, for kinds that share it, unless the panel keeps its own.
    """
    check_panel(panel)
    cap = headline_size if KINDS[panel.kind].shares_headline and not panel.own_size else None
    k = min(lay.panel_width, lay.panel_height) / BASE
    if KINDS[panel.kind].drawn_by != "template":
        markup = (batch if batch and panel.id in batch else drawn_in_batches((panel,), theme, lay))[panel.id]
        content = (Embedded(sub_id(f"panel-{panel.id}", "body"), "body", 0, 0, markup),)
    else:
        stack, top = fit_panel(panel, theme, lay, bool(panel.icon) if reserve_icon is None else reserve_icon, cap)
        content = tuple(_shift(i, top) for i in stack.items)
    stroke = 3 * k
    frame = Box(sub_id(f"panel-{panel.id}", "frame"), "frame", stroke / 2, stroke / 2, lay.panel_width - stroke,
                lay.panel_height - stroke, hex_colour(theme.panel_background), hex_colour(panel.color),
                stroke, 12 * k)
    title = panel_title(panel)
    return DrawnPanel(id=f"panel-{panel.id}", cls=f"panel panel-{panel.kind}", kind=panel.kind,
                      width=lay.panel_width, height=lay.panel_height, title=title, desc=panel.alt or title,
                      items=(frame, *content))


# --- the page -----------------------------------------------------------------------------------------

def _header(page: Page, fonts: Fonts, width: int) -> tuple:
    """Title and subtitle, left-aligned with the grid, shrunk (then cut to a line each) to fit."""
    lay, theme = page.layout, page.theme
    room = lay.header_height - 24

    def build(s: float, cut: int | None) -> Stack:
        stack = Stack(fonts, "page", width / 2, lay.margin, width - 2 * lay.margin)
        if page.title:
            stack.text("title", "title", [Run(page.title, True)], 34 * s, hex_colour(theme.text), bold=True,
                       pitch=1.15, anchor="start", max_lines=cut)
        if page.subtitle:
            stack.gap(8 * s)
            stack.text("subtitle", "subtitle", [Run(page.subtitle)], 16 * s, hex_colour(theme.muted),
                       pitch=1.3, anchor="start", max_lines=cut)
        return stack

    for s in scales(theme.min_text_scale):
        stack = build(s, None)
        if stack.y <= room:
            break
    else:
        stack = build(theme.min_text_scale, 1)
        if stack.y > lay.header_height:
            raise InfopipeError("render", [Problem("page", "text-fit", f"the title and subtitle cannot fit "
                                                   f"header_height {lay.header_height}: make it larger")])
    top = lay.margin + max(0.0, (room - stack.y) / 2)
    return tuple(_shift(i, top) for i in stack.items)


def _footer(page: Page, fonts: Fonts, width: int, height: int) -> tuple:
    lay = page.layout
    if not page.credit:
        return ()
    stack = Stack(fonts, "page", width / 2, lay.margin, width - 2 * lay.margin)
    stack.text("credit", "credit", [Run(page.credit)], 13, hex_colour(page.theme.muted), pitch=1.3,
               anchor="start", max_lines=max(1, int(lay.footer_height // 17)))
    top = height - lay.margin - lay.footer_height + max(0.0, (lay.footer_height - stack.y) / 2)
    return tuple(_shift(i, top) for i in stack.items)


def _sentence(text: str) -> str:
    text = text.strip()
    return text if not text or text[-1] in ".!?" else text + "."


def layout_page(page: Page) -> DrawnPage:
    """Header, the grid of panels in order, and the credit line, in page coordinates."""
    fonts = fonts_for(page.theme.first_family())
    width, height = page.size()
    ids = [p.id for p in page.panels]
    if len(set(ids)) != len(ids):
        dup = sorted({i for i in ids if ids.count(i) > 1})
        raise InfopipeError("render", [Problem("page", "panel-id", f"panel ids must be unique: {', '.join(dup)}")])
    icons = any(p.icon for p in page.panels)
    batch = drawn_in_batches(page.panels, page.theme, page.layout)
    size = shared_headline_size(page, icons)
    panels = tuple((*page.panel_origin(i), layout_panel(p, page.theme, page.layout, icons, batch, size))
                   for i, p in enumerate(page.panels))
    desc = " ".join(_sentence(p.alt or panel_title(p)) for p in page.panels)
    return DrawnPage(width=width, height=height, title=page.title, desc=desc,
                     background=hex_colour(page.theme.background), header=_header(page, fonts, width),
                     panels=panels, footer=_footer(page, fonts, width, height))
