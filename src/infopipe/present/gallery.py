"""The run's gallery (index.html): every panel and the page, their alt text and download links.

A static page from a Jinja2 template with autoescape: no scripts, a strict Content-Security-Policy,
and only relative links to the run's own files, so it opens anywhere, even from a zip. It also links
the data (figures.csv, figures.json), the review page and the web embed with its <iframe> snippet.
"""

from __future__ import annotations

from dataclasses import dataclass

from infopipe.present.layout import DrawnPage, panel_title
from infopipe.present.panels import Page
from infopipe.present.templates import templates


@dataclass(frozen=True)
class GalleryItem:
    id: str
    kind: str
    alt: str
    image: str  # 1x PNG shown
    image_2x: str
    width: int
    height: int
    downloads: tuple[tuple[str, str], ...]  # (label, relative path)


def render_gallery(page: Page, drawn: DrawnPage, outputs) -> str:
    """index.html for a planned list of outputs (Output objects made before the gallery itself)."""
    by_owner: dict[str, dict[str, str]] = {}
    for out in outputs:
        name = out.path.rsplit("/", 1)[-1]
        fmt = ("PNG 2x" if name.endswith("@2x.png") else "Plot SVG" if name.endswith(".plot.svg")
               else "Interactive HTML" if name.endswith(".html") else name.rsplit(".", 1)[-1].upper())
        by_owner.setdefault(out.owner, {})[fmt] = out.path
    items = []
    for panel in page.panels:
        files = by_owner.get(panel.id, {})
        items.append(GalleryItem(
            id=panel.id, kind=panel.kind, alt=panel.alt or panel_title(panel),
            image=files.get("PNG", ""), image_2x=files.get("PNG 2x", ""), width=page.layout.panel_width,
            height=page.layout.panel_height,
            downloads=tuple((f, files[f]) for f in ("SVG", "PNG", "PNG 2x", "PDF", "Interactive HTML") if f in files)))
    files = by_owner.get("page", {})
    whole = GalleryItem(id="page", kind="page", alt=f"{page.title}. {drawn.desc}".strip(),
                        image=files.get("PNG", ""), image_2x="", width=drawn.width, height=drawn.height,
                        downloads=tuple((f, files[f]) for f in ("SVG", "PNG", "PDF") if f in files))
    made_by = [(out.path, out.renderer) for out in outputs] + [("index.html", "template")]
    return templates().get_template("gallery.html.j2").render(
        page=page, whole=whole, items=items, made_by=made_by, background=page.theme.background,
        iframe=iframe_snippet(page.title, drawn.width, drawn.height))


def iframe_snippet(title: str, width: int, height: int) -> str:
    """The copy-paste HTML that puts embed.html in a web page: as wide as its column, the page's
    proportions kept (aspect-ratio), no border; the address is where embed.html is published."""
    from html import escape

    return (f'<iframe src="embed.html" title="{escape(title, quote=True)}" loading="lazy" '
            f'style="width:100%;aspect-ratio:{width}/{height};border:0"></iframe>')
