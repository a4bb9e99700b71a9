"""Hand-made pages, until compute turns figures into Panels: the demo, the tests and the benchmark.

`jam_page()` mirrors the Jam and Justice page (7 panels, its theme); `every_kind_page()` holds one
panel of each kind with ordinary text, and `long_text_page()` the same kinds with text long enough
to force wrapping, shrinking and cutting.
"""

from __future__ import annotations

from infopipe.present.panels import Layout, Page, Panel, Part, Segment, Theme

ICONS = {
    "building": "M10 90 L90 90 L90 82 L10 82 Z M14 78 L86 78 L86 72 L14 72 Z M20 68 L28 68 L28 42 L20 42 Z "
                "M38 68 L46 68 L46 42 L38 42 Z M54 68 L62 68 L62 42 L54 42 Z M72 68 L80 68 L80 42 L72 42 Z "
                "M10 38 L50 12 L90 38 Z",
    "coin": "M50 10 C72 10 90 28 90 50 C90 72 72 90 50 90 C28 90 10 72 10 50 C10 28 28 10 50 10 Z M50 22 "
            "C35 22 22 35 22 50 C22 65 35 78 50 78 C65 78 78 65 78 50 C78 35 65 22 50 22 Z",
    "stack": "M20 70 L80 70 L80 86 L20 86 Z M26 50 L74 50 L74 66 L26 66 Z M32 30 L68 30 L68 46 L32 46 Z "
             "M38 12 L62 12 L62 26 L38 26 Z",
    "person": "M50 12 C59 12 66 19 66 28 C66 37 59 44 50 44 C41 44 34 37 34 28 C34 19 41 12 50 12 Z M22 88 "
              "C22 64 34 52 50 52 C66 52 78 64 78 88 Z",
    "star": "M50 8 L61 38 L92 38 L67 56 L77 88 L50 69 L23 88 L33 56 L8 38 L39 38 Z",
    "flask": "M40 10 L60 10 L60 16 L56 16 L56 40 L80 84 C82 88 80 90 76 90 L24 90 C20 90 18 88 20 84 L44 40 "
             "L44 16 L40 16 Z",
}

JAM_THEME = Theme(font_family="Liberation Sans, Arial, Helvetica, sans-serif", background="#fdf6ec",
                  panel_background="#ffffff", text="#2b2118", muted="#6d5d4b",
                  palette=("#b6244f", "#e07a1f", "#3b7d5c", "#2f5d8a", "#7a4e9c", "#c4952b", "#1f8a8a"))


def _number(pid, headline, label, icon="", colour="#b6244f", note="", note_figure="", kind="number"):
    alt = f"{headline} {label}" + (f", {note}" if note else "")
    return Panel(id=pid, kind=kind, headline=headline, label=label, note=note, note_figure=note_figure,
                 alt=alt, icon=ICONS.get(icon, ""), color=colour)


def jam_page(theme: Theme = JAM_THEME) -> Page:
    """The Jam and Justice page as the shipped spec draws it: 6 numbers and a sub-count."""
    p = theme.palette
    panels = (
        _number("institutions", "4", "institutions", "building", p[0]),
        _number("funding_bodies", "2", "funding bodies", "coin", p[1 % len(p)]),
        _number("research_investment", "£1m", "research investment", "stack", p[2 % len(p)]),
        _number("recruits", "15", "recruits & their networks", "person", p[3 % len(p)],
                note="selected from 50 applicants", note_figure="50", kind="subcount"),
        _number("action_research_collective", "1", "Action Research Collective", "star", p[4 % len(p)]),
        _number("pilot_projects", "2", "pilot projects", "flask", p[5 % len(p)]),
        _number("arc_projects", "10", "ARC projects", "", p[6 % len(p)]),
    )
    return Page(title="The ingredients that made Jam and Justice possible",
                subtitle="How can we govern cities differently? The promise and practices of co-production "
                         "(July 2019), p. 39",
                credit="Rebuilt by infopipe from public sources; every number is counted from "
                       "data/raw/jam-and-justice.",
                panels=panels, theme=theme, layout=Layout())


def every_kind_page(theme: Theme = Theme(palette=("#b6244f", "#2f5d8a", "#3b7d5c", "#7a4e9c"))) -> Page:
    p = theme.palette
    panels = (
        _number("volunteers", "more than 40", "volunteers", "person", p[0]),
        _number("recruits", "15", "recruits & their networks", "person", p[1 % len(p)],
                note="selected from 50 applicants", note_figure="50", kind="subcount"),
        Panel(id="events", kind="sentence", headline="dozens",
              segments=(Segment("We ran ", False), Segment("dozens", True), Segment(" of events in ", False),
                        Segment("10", True), Segment(" boroughs.", False)),
              alt="We ran dozens of events in 10 boroughs.", icon=ICONS["star"], color=p[2 % len(p)]),
        Panel(id="outputs", kind="breakdown", headline="84", label="outputs",
              parts=(Part("videos", "30", 30), Part("reports", "24", 24), Part("podcasts", "18", 18),
                     Part("workshops", "12", 12)),
              total="84 outputs in total", alt="84 outputs: 30 videos, 24 reports, 18 podcasts, 12 workshops",
              color=p[3 % len(p)]),
    )
    return Page(title="Every kind of panel", subtitle="number, sub-count, sentence and breakdown",
                credit="Sample panels drawn by infopipe.", panels=panels, theme=theme, layout=Layout())


LONG = ("participants from community organisations, housing associations, faith groups and local "
        "authorities across all ten boroughs of Greater Manchester")


def long_text_page(theme: Theme = Theme(palette=("#b6244f", "#2f5d8a", "#3b7d5c", "#7a4e9c"))) -> Page:
    """Every kind with text far too long for the panel: it must wrap, shrink, or be cut."""
    p = theme.palette
    panels = (
        _number("long_number", "more than 1,000,000", LONG, "person", p[0],
                note="counted from sign-in sheets, online registrations and the partners' own records, "
                     "with duplicates removed by name and email address"),
        _number("long_subcount", "approximately 15", "recruits & their extended personal and professional "
                "networks", "person", p[1 % len(p)],
                note="selected by an independent panel from 50 applicants who answered an open call that "
                     "ran for six weeks in the spring", note_figure="50", kind="subcount"),
        Panel(id="long_sentence", kind="sentence", headline="dozens",
              segments=(Segment("Across the programme we ran ", False), Segment("dozens", True),
                        Segment(" of events, workshops, walking tours and public meetings in ", False),
                        Segment("10", True), Segment(" boroughs, reaching ", False),
                        Segment("more than 4,000", True),
                        Segment(" residents who had never before taken part in local decision-making, "
                                "according to the evaluation published by the university partners.", False)),
              alt="Across the programme we ran dozens of events in 10 boroughs, reaching more than 4,000 "
                  "residents.", icon=ICONS["star"], color=p[2 % len(p)]),
        Panel(id="long_breakdown", kind="breakdown", headline="1,284", label="outputs of every kind, "
              "published and unpublished, over the whole life of the programme",
              parts=(Part("videos and short documentary films made with residents", "300", 300),
                     Part("reports, briefings and academic papers", "240", 240),
                     Part("podcast episodes", "180", 180),
                     Part("workshops and training sessions for council officers", "120", 120),
                     Part("other", "444", 444)),
              total="1,284 outputs in total, counted once each", alt="1,284 outputs in five kinds",
              color=p[3 % len(p)]),
        _number("long_word", "12", "Supercalifragilisticexpialidocious-partnerships-and-co-production",
                "", p[0], note="https://example.org/a/very/long/address/that/cannot/be/broken/at/spaces"),
    )
    return Page(title="A page whose title is far longer than any designer would ever want it to be, so "
                      "that it has to wrap onto a second line and perhaps shrink as well",
                subtitle="Long labels, sentences and notes, to show that text always stays in its frame "
                         "however much of it there is, and that it is cut with an ellipsis only as a last "
                         "resort after wrapping and shrinking",
                credit="Sample panels drawn by infopipe with deliberately long text.", panels=panels,
                theme=theme, layout=Layout())


CODEREFINERY_THEME = Theme(font_family="Liberation Sans, Arial, Helvetica, sans-serif", background="#f4f7fb",
                           panel_background="#ffffff", text="#1b2a3a", muted="#4a5a6a",
                           palette=("#1f5f99", "#1d7a5a", "#8a4f9e"))


def coderefinery_page(theme: Theme = CODEREFINERY_THEME) -> Page:
    """The second report (CodeRefinery phase 3): two sentences and a breakdown, three columns."""
    p = theme.palette
    parts = (("online CodeRefinery tools workshops", 6), ("in-person CodeRefinery tools workshops", 5),
             ("instructor training event", 1), ("online Python for Scientific Computing workshops", 3),
             ("Build Systems Course", 1))
    panels = (
        Panel(id="partners", kind="sentence", headline="42",
              segments=(Segment("A budget of ", False), Segment("42", True),
                        Segment(" person-months per year for 3 years, with contributions from ", False),
                        Segment("8", True), Segment(" funding partners", False)),
              alt="A budget of 42 person-months per year for 3 years, with contributions from 8 funding partners",
              color=p[0]),
        Panel(id="online_workshops", kind="sentence", headline="6",
              segments=(Segment("6", True), Segment(" online CodeRefinery tools workshops to ", False),
                        Segment("over 2000", True), Segment(" registered participants", False)),
              alt="6 online CodeRefinery tools workshops to over 2000 registered participants",
              color=p[1 % len(p)]),
        Panel(id="training_events", kind="breakdown", headline="16", label="training events in the report's list",
              parts=tuple(Part(label, str(n), n) for label, n in parts),
              alt="16 training events in the report's list: " + ", ".join(f"{n} {label}" for label, n in parts),
              color=p[2 % len(p)]),
    )
    return Page(title="CodeRefinery phase 3 in numbers",
                subtitle="CodeRefinery (phase 3) report, March 2022 – February 2025: sections 2 and 4.1",
                credit="Rebuilt by infopipe from public sources; every number is counted from data/raw/coderefinery.",
                panels=panels, theme=theme, layout=Layout(columns=3, panel_width=340, panel_height=300))
