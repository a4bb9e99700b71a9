"""The plotly figure of a chart panel: one pure function per chart kind, from the marks and the theme.

A figure is plain data (the JSON plotly.js reads), built here without importing plotly, so that a run
whose charts are unchanged pays nothing for it: its hash is the chart's key. The theme becomes a
plotly template (font, palette, backgrounds, axis colours), so charts match the typographic panels.
Every trace has a `uid` derived from the panel, which keeps plotly's output the same from run to run.
The words on the chart (data labels) are the marks' printed texts, each checked as a figure.
"""

from __future__ import annotations

from infopipe.present.colours import hex_colour, mix
from infopipe.present.panels import Chart, Mark, Theme

LONG_LABEL = 9  # category labels longer than this turn an automatic bar chart horizontal
TICKS = "~s"  # axis numbers as SI (20M, 1.5k): short, and what report charts print


def template(theme: Theme, size: float) -> dict:
    """The theme as a plotly template: font, palette, backgrounds, quiet axes."""
    text, muted, bg = hex_colour(theme.text), hex_colour(theme.muted), hex_colour(theme.panel_background)
    axis = {"color": muted, "linecolor": mix(theme.muted, theme.panel_background, 0.6), "gridcolor":
            mix(theme.muted, theme.panel_background, 0.18), "zerolinecolor": mix(theme.muted, theme.panel_background, 0.6),
            "tickfont": {"color": text, "size": size}, "title": {"font": {"color": muted, "size": size}},
            "automargin": True, "ticks": "", "showline": False}
    return {"layout": {
        "font": {"family": theme.font_family, "color": text, "size": size},
        "colorway": [hex_colour(c) for c in theme.palette],
        "paper_bgcolor": bg, "plot_bgcolor": bg,
        "xaxis": axis, "yaxis": axis,
        "legend": {"font": {"color": text, "size": size}, "bgcolor": "rgba(0,0,0,0)"},
        "margin": {"l": 4, "r": 4, "t": 4, "b": 4, "pad": 2, "autoexpand": True},
        "hoverlabel": {"font": {"family": theme.font_family}},
    }}


def _series(chart: Chart) -> list[str | None]:
    return list(dict.fromkeys(m.series for m in chart.marks))


def _keys(chart: Chart) -> list[Mark]:
    """One mark per key, in drawing order (the first series' mark stands for its key)."""
    seen: dict[str, Mark] = {}
    for m in chart.marks:
        seen.setdefault(m.key, m)
    return list(seen.values())


def _axis_label(m: Mark) -> str:
    return m.label + ("*" if m.partial else "")


def _colour(theme: Theme, i: int) -> str:
    return hex_colour(theme.palette[i % len(theme.palette)])


def _partial_style(colour: str, theme: Theme) -> dict:
    """A mark for a period not yet over: hatched in its colour over a light tint."""
    return {"color": mix(colour, theme.panel_background, 0.35),
            "pattern": {"shape": "/", "fgcolor": colour, "size": 6, "solidity": 0.35}}


def bar_figure(panel_id: str, chart: Chart, theme: Theme, width: float, height: float, size: float) -> dict:
    keys = [m for m in _keys(chart) if not m.apart]
    horizontal = chart.orientation == "horizontal" or (
        chart.orientation == "auto" and any(len(m.label) > LONG_LABEL for m in keys))
    labels = [_axis_label(m) for m in keys]
    traces = []
    series = _series(chart)
    for i, name in enumerate(series):
        by_key = {m.key: m for m in chart.marks if m.series == name and not m.apart}
        marks = [by_key.get(k.key) for k in keys]
        colour = _colour(theme, i)
        values = [m.value if m else None for m in marks]
        styles = [_partial_style(colour, theme) if m and m.partial else {"color": colour} for m in marks]
        trace = {
            "type": "bar", "uid": f"{panel_id}-{i}", "name": name or "",
            "x": values if horizontal else labels, "y": labels if horizontal else values,
            "orientation": "h" if horizontal else "v",
            "marker": {"color": [s["color"] for s in styles], "line": {"width": 0},
                       "pattern": {"shape": [s.get("pattern", {}).get("shape", "") for s in styles],
                                   "fgcolor": colour, "size": 6, "solidity": 0.35}},
            "hovertemplate": "%{text}<extra>" + (name or "") + "</extra>",
            "text": [m.printed if m else "" for m in marks], "cliponaxis": False,
        }
        if chart.labels and (chart.mode == "grouped" or len(series) == 1):
            trace.update(textposition="outside", textfont={"color": hex_colour(theme.text), "size": size})
        elif chart.labels:  # inside stacked bars; on a hatched (partial) bar, in the text colour
            trace.update(textposition="inside", insidetextanchor="middle",
                         textfont={"color": [hex_colour(theme.text) if m and m.partial else _on(colour)
                                             for m in marks], "size": size})
        else:
            trace.update(textposition="none")
        traces.append(trace)
    value_axis = {"title": {"text": chart.value_title}, "rangemode": "tozero", "showgrid": True,
                  "tickformat": TICKS}
    category_axis = {"type": "category", "showgrid": False, "categoryorder": "array",
                     "categoryarray": labels, "tickfont": {"size": size if horizontal else _tick_size(labels, width, size)}}
    if horizontal:
        category_axis["autorange"] = "reversed"  # the first mark on top, as it reads
    layout = _layout(theme, width, height, size, show_legend=len(series) > 1)
    layout["legend"]["traceorder"] = "normal"  # series in spec order, also when stacked
    layout.update(barmode="stack" if chart.mode == "stacked" else "group", bargap=0.25,
                  xaxis=value_axis if horizontal else category_axis,
                  yaxis=category_axis if horizontal else value_axis)
    if chart.labels and chart.mode == "stacked" and len(series) > 1:
        layout["uniformtext"] = {"minsize": size * 0.8, "mode": "hide"}
    return {"data": traces, "layout": layout}


def share_figure(panel_id: str, chart: Chart, theme: Theme, width: float, height: float, size: float) -> dict:
    marks = list(chart.marks)
    colours = [_colour(theme, i) for i in range(len(marks))]
    layout = _layout(theme, width, height, size, show_legend=False)
    if chart.style == "bar":
        traces = [{"type": "bar", "uid": f"{panel_id}-{i}", "name": m.label, "orientation": "h",
                   "x": [m.share], "y": [""], "marker": {"color": colours[i], "line": {"width": 0}},
                   "text": [m.printed] if chart.labels else [""], "textposition": "inside",
                   "insidetextanchor": "middle", "textfont": {"color": _on(colours[i]), "size": size},
                   "hovertemplate": f"{m.label}: %{{text}}<extra></extra>"} for i, m in enumerate(marks)]
        layout.update(barmode="stack", showlegend=True, bargap=0.35,
                      xaxis={"range": [0, 100], "visible": False}, yaxis={"visible": False},
                      legend={"orientation": "h", "y": -0.05, "yanchor": "top", "x": 0, "traceorder": "normal"},
                      uniformtext={"minsize": size * 0.8, "mode": "hide"})
        return {"data": traces, "layout": layout}
    trace = {"type": "pie", "uid": f"{panel_id}-0", "hole": 0.55, "sort": False, "direction": "clockwise",
             "labels": [m.label for m in marks], "values": [m.value for m in marks],
             "text": [m.printed for m in marks], "textinfo": "label+text" if chart.labels else "label",
             "texttemplate": "%{label}<br><b>%{text}</b>" if chart.labels else "%{label}",
             "textposition": "outside", "textfont": {"color": hex_colour(theme.text), "size": size},
             "hovertemplate": "%{label}: %{text}<extra></extra>",
             "marker": {"colors": colours, "line": {"color": hex_colour(theme.panel_background), "width": 2}},
             "automargin": True}
    return {"data": [trace], "layout": layout}


def line_figure(panel_id: str, chart: Chart, theme: Theme, width: float, height: float, size: float) -> dict:
    keys = _keys(chart)
    labels = [_axis_label(m) for m in keys]
    traces = []
    series = _series(chart)
    for i, name in enumerate(series):
        by_key = {m.key: m for m in chart.marks if m.series == name}
        marks = [by_key.get(k.key) for k in keys]
        colour = _colour(theme, i)
        whole = [m.value if m and not m.partial else None for m in marks]
        trace = {"type": "scatter", "uid": f"{panel_id}-{i}", "name": name or "", "mode": "lines+markers",
                 "x": labels, "y": whole, "line": {"color": colour, "width": 2.5},
                 "marker": {"color": colour, "size": 7}, "text": [m.printed if m else "" for m in marks],
                 "hovertemplate": "%{x}: %{text}<extra>" + (name or "") + "</extra>", "cliponaxis": False}
        if chart.labels and len(series) == 1:
            trace.update(mode="lines+markers+text", textposition="top center",
                         textfont={"color": hex_colour(theme.text), "size": size * 0.9})
        traces.append(trace)
        partial = [j for j, m in enumerate(marks) if m and m.partial]
        if partial:  # the last, partial period: dashed from the last whole one, an open marker
            j = partial[0]
            xs, ys = labels[max(j - 1, 0): j + 1], [marks[k].value if marks[k] else None for k in range(max(j - 1, 0), j + 1)]
            traces.append({"type": "scatter", "uid": f"{panel_id}-{i}-partial", "name": f"{name or ''} (partial)",
                           "mode": "lines+markers", "x": xs, "y": ys, "showlegend": False,
                           "line": {"color": colour, "width": 2, "dash": "dot"},
                           "marker": {"color": hex_colour(theme.panel_background), "size": [0, 8][-len(xs):],
                                      "line": {"color": colour, "width": [0, 2][-len(xs):]}},
                           "text": ["", marks[j].printed], "hovertemplate": "%{x}: %{text}<extra></extra>",
                           "cliponaxis": False})
    layout = _layout(theme, width, height, size, show_legend=len(series) > 1)
    layout.update(xaxis={"type": "category", "showgrid": False, "categoryorder": "array", "categoryarray": labels,
                         "tickfont": {"size": _tick_size(labels, width, size)}},
                  yaxis={"title": {"text": chart.value_title}, "rangemode": "tozero", "showgrid": True,
                         "tickformat": TICKS})
    return {"data": traces, "layout": layout}


def map_figure(panel_id: str, chart: Chart, theme: Theme, width: float, height: float, size: float) -> dict:
    marks = [m for m in chart.marks if m.code and not m.apart]
    accent = _colour(theme, 0)
    low = mix(accent, theme.panel_background, 0.2)
    trace = {"type": "choropleth", "uid": f"{panel_id}-0", "locationmode": "ISO-3",
             "locations": [m.code for m in marks], "z": [m.value for m in marks],
             "text": [f"{m.label}: {m.printed}" for m in marks], "hovertemplate": "%{text}<extra></extra>",
             "colorscale": [[0, low], [0.15, mix(accent, theme.panel_background, 0.55)], [1, accent]], "zmin": 0,
             "marker": {"line": {"color": hex_colour(theme.panel_background), "width": 0.5}},
             "colorbar": {"thickness": max(6, size * 0.7), "len": 0.6, "outlinewidth": 0,
                          "tickfont": {"color": hex_colour(theme.text), "size": size * 0.9},
                          "orientation": "h", "x": 0.5, "xanchor": "center", "y": 0, "yanchor": "top",
                          "tickformat": TICKS, "title": {"text": chart.value_title, "side": "top",
                                                        "font": {"color": hex_colour(theme.muted), "size": size * 0.9}}}}
    layout = _layout(theme, width, height, size, show_legend=False)
    layout["geo"] = {"scope": "world", "projection": {"type": "natural earth"}, "resolution": 110,
                     "showframe": False, "showcoastlines": False, "showcountries": True,
                     "countrycolor": hex_colour(theme.panel_background), "showland": True,
                     "landcolor": mix(theme.muted, theme.panel_background, 0.12),
                     "bgcolor": hex_colour(theme.panel_background), "lataxis": {"range": [-58, 85]}}
    return {"data": [trace], "layout": layout}


def _tick_size(labels: list[str], width: float, size: float) -> float:
    """Category labels side by side: smaller (down to 70%) before plotly would turn them on end."""
    longest = max((len(t) for t in labels), default=1)
    room = 0.8 * width / max(len(labels), 1)
    return round(min(size, max(0.7 * size, room / (0.6 * longest))), 1)


def map_note(chart: Chart) -> str:
    """The countries a map cannot show: the shipped world map has no shape for the smallest."""
    from infopipe.present.chart_export import drawable_codes

    if chart.kind != "map":
        return ""
    small = [f"{m.label} {m.printed}" for m in chart.marks if m.code and m.code not in drawable_codes()]
    return f"Too small to show at this scale: {', '.join(small)}." if small else ""


def _on(colour: str) -> str:
    """Black or white text on a coloured bar: whichever contrasts more."""
    from infopipe.present.colours import contrast_ratio

    return "#ffffff" if contrast_ratio("#ffffff", colour) >= contrast_ratio("#000000", colour) else "#000000"


def _layout(theme: Theme, width: float, height: float, size: float, show_legend: bool) -> dict:
    return {"template": template(theme, size), "width": round(width), "height": round(height),
            "showlegend": show_legend, "legend": {"orientation": "h", "x": 0, "y": 1.0, "yanchor": "bottom"},
            "autosize": False}


FIGURES = {"bar": bar_figure, "share": share_figure, "line": line_figure, "map": map_figure}


def chart_figure(panel_id: str, chart: Chart, theme: Theme, width: float, height: float, size: float) -> dict:
    """The plotly figure of one chart panel's plot area."""
    return FIGURES[chart.kind](panel_id, chart, theme, width, height, size)
