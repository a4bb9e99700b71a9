"""Every printed word true (issue 17): nothing printed unchecked, hedges, number words, locales, and
an accepted difference that no longer differs is said."""

from __future__ import annotations

import json
import re

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from conftest import PROJECT, ROOT
from infopipe.cli import main
from infopipe.concepts.claims import BOUNDS, KINDS, ClaimError, parse_claim
from infopipe.concepts.formats import (FORMATS, FormatError, UncheckedPrint, check_printed, check_template,
                                       render_template)
from infopipe.concepts.words import LANGUAGES, LocaleError, check_locale

LOCALES = {"en": "en_GB", "fr": "fr_FR"}
ARGUMENTS = {  # each placeholder with the arguments it takes
    "floor": ["", "1", "10", "100", "0.5"], "ceil": ["", "10"], "round": ["", "10", "1000"],
    "below": ["", "10"], "above": ["", "10"], "money": ["£", "€", "-", "£,above", "£,floor", "$,below"],
    "percent": ["", "0", "1", "2"], "fraction": ["", "in"], "change": ["", "0", "1", "0,arrow"], "words": ["", "floor", "round,12", "floor,12", "ceil,6", "10"],
}
DATE_ARGUMENTS = {"date": ["", "yMMMMd", "yMMMM", "y", "yMMMd"], "dates": ["", "yMMMMd", "yMMMM", "y"]}
assert set(ARGUMENTS) | set(DATE_ARGUMENTS) | {f.name for f in FORMATS.values() if not f.argument} == set(FORMATS)


def placeholders():
    return st.sampled_from(sorted(set(FORMATS) - set(DATE_ARGUMENTS))).flatmap(
        lambda name: st.sampled_from(ARGUMENTS.get(name, [""])).map(
            lambda arg: "{" + name + (f":{arg}" if arg else "") + "}"))


values = st.one_of(st.integers(0, 5_000_000), st.floats(0, 100, allow_nan=False).map(lambda x: round(x, 2)))


# ---------------------------------------------------------------- 1. no unchecked printed text

@settings(max_examples=400, deadline=None)
@given(placeholder=placeholders(), value=values, code=st.sampled_from(sorted(LANGUAGES)))
def test_every_placeholder_prints_text_the_claim_reader_reads(placeholder, value, code):
    """Whatever a placeholder prints, in any language, reads back as a claim: none is unchecked."""
    locale = LOCALES[code]
    try:
        printed = render_template(placeholder, value, locale)
    except FormatError:
        assume(False)  # {scale} of a value no scale covers: refused, not printed
    claim = parse_claim(printed, locale=locale)
    assert check_printed(placeholder, value, 0.1, locale) == claim.holds(value)


@settings(max_examples=300, deadline=None)
@given(data=st.data(), lead=st.sampled_from(["", "since ", "as of "]), locale=st.sampled_from(["en_GB", "fr_FR"]))
def test_every_date_placeholder_prints_text_the_date_reader_reads(data, lead, locale):
    import datetime as dt

    name = data.draw(st.sampled_from(sorted(DATE_ARGUMENTS)))
    arg = data.draw(st.sampled_from(DATE_ARGUMENTS[name]))
    first = data.draw(st.dates(dt.date(1990, 1, 1), dt.date(2030, 12, 31)))
    value = (first, first + dt.timedelta(days=data.draw(st.integers(0, 900)))) if name == "dates" else first
    template = (lead if locale == "en_GB" else "") + "{" + name + (f":{arg}" if arg else "") + "}"
    printed = render_template(template, value, locale)
    claim = parse_claim(printed, locale=locale, dates=True)
    assert claim.holds(value), (template, value, printed)  # a date printed from the data is true of it
    assert check_printed(template, value, 0.1, locale) is True


@settings(max_examples=200, deadline=None)
@given(data=st.data(), placeholder=placeholders(), value=values, code=st.sampled_from(sorted(LANGUAGES)),
       noun=st.sampled_from(["", " partners", " visitors"]))
def test_every_claim_kind_around_every_placeholder_is_read_as_that_kind(data, placeholder, value, code, noun):
    """A hedge of every kind, before or after any placeholder, with words after it, is read back
    as that kind and checked: the verdict is the claim's own."""
    lang, locale = LANGUAGES[code], LOCALES[code]
    kind = data.draw(st.sampled_from([k for k in BOUNDS if lang.phrases(k)]))
    phrase = data.draw(st.sampled_from(lang.phrases(kind)))
    before = phrase in lang.before.get(kind, ())
    spaced = (phrase + " ") if before and phrase[-1].isalpha() or phrase.endswith(".") else phrase
    template = (spaced + placeholder if before else placeholder + (" " if phrase[0].isalpha() else "") + phrase) + noun
    try:
        printed = render_template(template, value, locale)
    except FormatError:
        assume(False)
    try:
        claim = parse_claim(printed, locale=locale)
    except ClaimError:
        assume(False)  # e.g. "more than a third"... read below
    if claim.kind != kind:
        assume(False)  # a hedge before a scale word is read as the scale ("around dozens")
    assert check_printed(template, value, 0.1, locale) == claim.holds(value)


@settings(max_examples=200, deadline=None)
@given(placeholder=placeholders(), value=values, typed=st.sampled_from(
    ["900", "approx. 900", "nearly", "a dozen", "£5", "45%", "two", "some"]),
    where=st.sampled_from(["before", "after"]))
def test_a_number_or_hedge_typed_beside_a_placeholder_is_never_printed_unchecked(placeholder, value, typed, where):
    """Text outside every placeholder that states a number or hedges one is refused: nothing checks it."""
    template = f"{placeholder} and {typed} more" if where == "after" else f"{typed} people and {placeholder}"
    try:
        render_template(template, value)
    except FormatError:
        assume(False)
    with pytest.raises(UncheckedPrint):
        check_printed(template, value, 0.1)


@pytest.mark.parametrize("template, value, printed, holds", [
    ("approx. 900", 15, "approx. 900", False),  # typed text: read as a claim and found false
    ("approx. {round:1000}", 15, "approx. 0", False),  # the issue's "approx. 0"
    ("approx. {round:10}", 15, "approx. 20", False),  # 20 is not within 10% of 15
    ("approx. {round:1}", 15, "approx. 15", True),
    ("work in {value} countries", 12, "work in 12 countries", True),
    ("more than {below:10} partners in {value} countries", 43, "more than 40 partners in 43 countries", True),
    ("{floor:10}+", 57, "50+", True),
])
def test_printed_text_is_read_back_and_judged(template, value, printed, holds):
    assert render_template(template, value) == printed
    assert check_printed(template, value, 0.1) is holds


@pytest.mark.parametrize("template", ["nearly all {value}", "{value} of 2019", "lots", "{value} and some more"])
def test_unreadable_print_texts_are_refused(template):
    with pytest.raises(UncheckedPrint, match="cannot check the print text"):
        check_printed(template, 3, 0.1)


# ---------------------------------------------------------------- 2. hedges, every one documented

def _every_phrase():
    for code, lang in LANGUAGES.items():
        for kind in BOUNDS:
            for phrase in lang.before.get(kind, ()):
                yield code, kind, (phrase + " 40" if phrase[-1].isalpha() or phrase.endswith(".") else phrase + "40")
            for phrase in lang.after.get(kind, ()):
                yield code, kind, "40" + (" " + phrase if phrase[0].isalpha() else phrase)


@pytest.mark.parametrize("code, kind, text", list(_every_phrase()))
def test_every_hedge_of_every_language_reads_as_its_kind_and_is_in_the_readme(code, kind, text):
    claim = parse_claim(text, locale=LOCALES[code])
    assert claim.kind == kind
    low, high = {"more_than": (40.01, 39.99), "at_least": (40, 39.99), "fewer_than": (39.99, 40),
                 "up_to": (40, 40.01), "approximate": (37, 45), "nearly": (39, 40)}[kind]
    assert claim.holds(low) and not claim.holds(high)
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    shown = text.replace("40", "N")
    assert f"`{shown}`" in readme, shown


@pytest.mark.parametrize("text, kind, inside, outside", [
    ("approx. 250", "approximate", [225, 275], [224, 276]),
    ("approx 250", "approximate", [250], [224]),
    ("ca. 50", "approximate", [45, 55], [44, 56]),
    ("c. 50", "approximate", [45], [44]),
    ("est. 2,000", "approximate", [1800, 2200], [1799, 2201]),
    ("~200", "approximate", [180, 220], [179, 221]),
    ("some 40", "approximate", [36, 44], [35, 45]),
    ("roughly 30", "approximate", [27], [26]),
    ("almost 100", "nearly", [90, 99], [100]),
    ("well over 40", "more_than", [41], [40]),
    ("just under 50", "nearly", [45, 49], [50, 44]),
    ("15 or so", "approximate", [14], [17]),
])
def test_the_issues_hedges_at_their_boundaries(text, kind, inside, outside):
    claim = parse_claim(text)
    assert claim.kind == kind
    assert all(claim.holds(v) for v in inside) and not any(claim.holds(v) for v in outside)


# ---------------------------------------------------------------- 3. number words

@pytest.mark.parametrize("published, value, printed", [
    ("at least a dozen", 14, "at least a dozen"),
    ("at least a dozen", 30, "at least two dozen"),
    ("a dozen", 12, "a dozen"),
    ("half a dozen", 6, "half a dozen"),
    ("two", 2, "two"),
    ("three languages", 3, "three languages"),
    ("more than two", 7, "more than six"),
    ("a third", 33.3, "a third"),
    ("one in four", 25.2, "one in four"),
    ("around a third", 31, "around three in ten"),  # the nearest simple fraction
    ("around a third", 34, "around a third"),
    ("twenty-one", 21, "twenty-one"),
])
def test_number_words_print_again_as_words_by_default(published, value, printed):
    claim = parse_claim(published, nouns=True)
    assert claim.holds(value)
    assert render_template(claim.print_template, value) == printed
    assert check_printed(claim.print_template, value, 0.1)


@pytest.mark.parametrize("published, inside, outside", [
    ("two", [2], [1, 3]), ("three", [3], [2, 4]), ("a third", [33, 33.8], [32.8, 34]),
    ("one in four", [25, 24.5], [24.4, 25.5]), ("two dozen", [24], [23, 25]), ("a dozen", [12], [11, 13]),
])
def test_number_words_at_their_boundaries(published, inside, outside):
    claim = parse_claim(published)
    assert all(claim.holds(v) for v in inside) and not any(claim.holds(v) for v in outside)


@pytest.mark.parametrize("template, value, printed", [
    ("{words}", 2, "two"), ("{words}", 21, "twenty-one"), ("{words}", 100, "one hundred"),
    ("{words}", 1234, "1,234"), ("{words:floor,12}", 14, "a dozen"), ("{words:ceil,6}", 5, "half a dozen"),
    ("{fraction}", 50, "half"), ("{fraction}", 40, "two in five"), ("{fraction:in}", 25, "one in four"), ("{fraction}", 10.2, "a tenth"),
])
def test_words_and_fraction_placeholders(template, value, printed):
    check_template(template)
    assert render_template(template, value) == printed


# ---------------------------------------------------------------- 8. locales

@pytest.mark.parametrize("template, value, en, fr", [
    ("{comma}", 1234567, "1,234,567", "1\u202f234\u202f567"),
    ("{value}", 2.5, "2.5", "2,5"),
    ("{percent:1}", 45.25, "45.3%", "45,3\u00a0%"),
    ("{money:€}", 1_250_000, "€1.3m", "1,3\u00a0M€"),
    ("{money:€}", 999, "€999", "999\u00a0€"),
    ("{round:1000}", 12_345, "12,000", "12\u202f000"),
    ("{words}", 21, "twenty-one", "vingt et un"),
    ("{words:floor,12}", 14, "a dozen", "une douzaine"),
    ("{scale}", 300, "hundreds", "des centaines"),
    ("{fraction}", 33.4, "a third", "un tiers"),
])
def test_the_locale_sets_separators_signs_currency_and_words(template, value, en, fr):
    assert render_template(template, value, "en_GB") == en
    assert render_template(template, value, "fr_FR") == fr
    assert check_printed(template, value, 0.1, "en_GB") is parse_claim(en).holds(value)
    assert check_printed(template, value, 0.1, "fr_FR") is parse_claim(fr, locale="fr_FR").holds(value)


@pytest.mark.parametrize("printed, kind, inside, outside", [
    ("15", "exact", [15], [14, 16]),
    ("1 200", "exact", [1200], [1199, 1201]),
    ("2,5", "exact", [2.5], [2.4, 2.6]),
    ("45 %", "exact", [45, 45.4], [45.5, 44.4]),
    ("1,2 M€", "exact", [1_200_000, 1_249_999], [1_250_000, 1_149_999]),
    ("plus de 50", "more_than", [51], [50]),
    ("au moins une douzaine", "at_least", [12, 13], [11]),
    ("50 et plus", "at_least", [50], [49]),
    ("moins de 10", "fewer_than", [9], [10]),
    ("jusqu'à 200", "up_to", [200], [201]),
    ("environ 200", "approximate", [180, 220], [179, 221]),
    ("presque 100", "nearly", [90, 99], [100, 89]),
    ("entre 20 et 30", "range", [20, 30], [19, 31]),
    ("des dizaines", "scale", [20, 199], [19, 200]),
    ("des centaines", "scale", [200, 1999], [199, 2000]),
    ("trois langues", "exact", [3], [2, 4]),
    ("un tiers", "exact", [33.3], [32.8, 34]),
    ("un sur quatre", "exact", [25], [24.4, 25.5]),
])
def test_french_claims_at_and_around_their_boundaries(printed, kind, inside, outside):
    claim = parse_claim(printed, locale="fr_FR", nouns=True)
    assert claim.kind == kind
    assert all(claim.holds(v) for v in inside), [v for v in inside if not claim.holds(v)]
    assert not any(claim.holds(v) for v in outside), [v for v in outside if claim.holds(v)]


FRENCH = ["15", "1 200", "plus de 40", "au moins 30", "50+", "moins de 10", "jusqu'à 200", "environ 200",
          "presque 100", "entre 20 et 30", "des dizaines", "des centaines", "une douzaine", "un tiers",
          "1,2 M€", "45 %", "trois"]


@settings(max_examples=300, deadline=None)
@given(text=st.sampled_from(FRENCH), value=st.integers(1, 5_000_000))
def test_french_generated_printed_text_is_true_of_its_value(text, value):
    claim = parse_claim(text, locale="fr_FR")
    try:
        printed = render_template(claim.print_template, value, "fr_FR")
    except FormatError:
        assume(False)
    assert check_printed(claim.print_template, value, 0.1, "fr_FR") == parse_claim(printed, locale="fr_FR").holds(value)
    if claim.kind in BOUNDS + ("scale",):
        assert parse_claim(printed, locale="fr_FR").holds(value), (text, value, printed)


def test_a_claim_in_another_language_is_not_read_as_english():
    with pytest.raises(ClaimError):
        parse_claim("plus de 40")
    with pytest.raises(ClaimError):
        parse_claim("more than 40", locale="fr_FR")


@pytest.mark.parametrize("locale", ["xx_YY", "de_DE", "", "en GB"])
def test_unknown_locales_are_refused(locale):
    with pytest.raises(LocaleError):
        check_locale(locale)


def test_a_french_spec_prints_french(tmp_path, capsys):
    assert main(["--root", str(tmp_path), "new", "fr-demo"]) == 0
    spec = tmp_path / "projects" / "fr-demo" / "spec.yaml"
    text = spec.read_text(encoding="utf-8").replace("locale: en_GB", "locale: fr_FR")
    for en, fr in (('"more than 40"', '"plus de 40"'), ('"more than {below:10}"', '"plus de {below:10}"'),
                   ('"dozens"', '"des dizaines"'), ('"hundreds"', '"des centaines"'),
                   ('"half a dozen"', '"une demi-douzaine"'), ('"a dozen"', '"une douzaine"'), ('"three"', '"trois"'),
                   ('"about 1.2"', '"environ 1,2"'), ('"down 19%"', '"en baisse de 19 %"')):
        text = text.replace(en, fr)
    spec.write_text(text, encoding="utf-8")
    assert main(["--root", str(tmp_path), "validate", "fr-demo"]) == 0, capsys.readouterr().err
    from infopipe.run.pipeline import Paths, validate_only

    figures = {f.id: f for f in validate_only(Paths.for_project("fr-demo", tmp_path))["figures"]}
    assert figures["partners"].printed == "une douzaine"
    assert figures["events"].printed == "plus de 40"
    assert figures["workshops"].printed == "des dizaines"
    assert figures["event_kinds"].printed == "trois"
    assert (figures["events_per_month"].printed, figures["events_change"].printed) == ("environ 1,2", "en baisse de 19\xa0%")
    assert all(f.printed_holds for f in figures.values())


def test_the_scaffold_prints_number_words(tmp_path):
    from infopipe.run.pipeline import Paths, validate_only

    assert main(["--root", str(tmp_path), "new", "demo"]) == 0
    figures = {f.id: f for f in validate_only(Paths.for_project("demo", tmp_path))["figures"]}
    assert (figures["partners"].printed, figures["event_kinds"].printed) == ("a dozen", "three")
    assert all(f.printed_holds for f in figures.values())


def _scaffold(tmp_path, name="demo", edits=()):
    """A scaffolded project (with its spec edited), checked: (spec, figures by id, panels by id)."""
    from infopipe.present.page import page_for
    from infopipe.run.pipeline import Paths, validate_only
    from infopipe.spec.model import load_spec

    assert main(["--root", str(tmp_path), "new", name]) == 0
    spec_file = tmp_path / "projects" / name / "spec.yaml"
    text = spec_file.read_text(encoding="utf-8")
    for old, new in edits:
        assert old in text, old
        text = text.replace(old, new)
    spec_file.write_text(text, encoding="utf-8")
    results = validate_only(Paths.for_project(name, tmp_path))["figures"]
    spec = load_spec(spec_file)
    return spec, {f.id: f for f in results}, {p.id: p for p in page_for(spec, results).panels}


# ---------------------------------------------------------------- 4. a list as one statement

def test_a_breakdown_shown_as_a_list_is_one_sentence_of_figures(tmp_path):
    spec, figures, panels = _scaffold(tmp_path)
    panel = panels["partners_by_continent"]
    assert panel.kind == "list"
    assert panel.sentence_text() == "half a dozen in Europe and 6 in Africa"
    assert [s.text for s in panel.segments if s.is_figure] == ["half a dozen", "6"]
    europe, africa = figures["partners_europe"], figures["partners_africa"]
    assert (europe.value, africa.value, europe.parent) == (6, 6, "partners_by_continent")
    assert europe.claim_holds and europe.printed_holds and europe.record_count == 6
    assert set(europe.records["continent"]) == {"Europe"}  # its lineage: the records it counted
    assert figures["partners_by_continent"].published is None  # the total need not be published


def test_a_list_joins_with_the_locales_words_and_can_lead_with_its_total(tmp_path):
    edits = [("locale: en_GB", "locale: fr_FR"), ('"more than 40"', '"plus de 40"'),
             ('"about 1.2"', '"environ 1,2"'), ('"down 19%"', '"en baisse de 19 %"'),
             ('"more than {below:10}"', '"plus de {below:10}"'), ('"dozens"', '"des dizaines"'),
             ('"hundreds"', '"des centaines"'), ('"a dozen"', '"une douzaine"'), ('"three"', '"trois"'),
             ('"half a dozen"', '"une demi-douzaine"'), ("label: in Europe", "label: en Europe"),
             ("label: in Africa", "label: en Afrique"),
             ("      column: continent\n", "      column: continent\n      show_total: true\n")]
    spec, figures, panels = _scaffold(tmp_path, "fr-list", edits)
    assert panels["partners_by_continent"].sentence_text() == "12 partners: une demi-douzaine en Europe et 6 en Afrique"


def test_a_spec_names_an_unknown_locale_on_its_line(project_root, capsys):
    spec = project_root / "projects" / PROJECT / "spec.yaml"
    lines = spec.read_text(encoding="utf-8").splitlines()
    at = next(i for i, line in enumerate(lines) if line.startswith("title:"))
    lines.insert(at + 1, "locale: xx_YY")
    spec.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert main(["--root", str(project_root), "validate"]) == 1
    err = capsys.readouterr().err
    assert f"line {at + 2}" in err and "[unknown-locale]" in err and "xx_YY" in err


# ---------------------------------------------------------------- 9. a stale accepted difference is said

def test_an_accepted_difference_that_no_longer_differs_is_warned_and_marked(project_root, capsys):
    spec = project_root / "projects" / PROJECT / "spec.yaml"
    text = spec.read_text(encoding="utf-8")
    spec.write_text(text.replace('    published: "4"\n', '    published: "4"\n    accepted_difference: '
                                 '"GMCVO left the partnership"\n', 1), encoding="utf-8")
    line = spec.read_text(encoding="utf-8").splitlines().index("  - id: institutions") + 1
    assert main(["--root", str(project_root), "validate"]) == 0
    err = capsys.readouterr().err
    assert re.search(rf"WARNING .*spec.yaml, line {line}: \[accepted-difference-stale\] figure 'institutions' "
                     r"now computes to 4", err), err
    assert main(["--root", str(project_root), "run"]) == 0
    assert "[accepted-difference-stale] figure 'institutions'" in capsys.readouterr().err
    run = project_root / "outputs" / PROJECT / "latest"
    figures = {f["id"]: f for f in json.loads((run / "figures.json").read_text())["figures"]}
    assert figures["institutions"]["difference_stale"] is True
    assert not any(f["difference_stale"] for i, f in figures.items() if i != "institutions")
    assert "Stale: the claim now holds" in (run / "report.html").read_text(encoding="utf-8")


def test_an_accepted_difference_that_still_differs_is_not_warned(project_root, capsys):
    spec = project_root / "projects" / PROJECT / "spec.yaml"
    text = spec.read_text(encoding="utf-8")
    spec.write_text(text.replace('    published: "4"\n', '    published: "5"\n    accepted_difference: '
                                 '"the report counts a fifth partner"\n', 1), encoding="utf-8")
    assert main(["--root", str(project_root), "validate"]) == 0
    assert "WARNING" not in capsys.readouterr().err


def test_kinds_are_all_covered_by_the_tests():
    assert set(BOUNDS) | {"range", "scale", "exact"} == set(KINDS)


# ---------------------------------------------------------------- 5. a lead-in; one headline size per page

def _drawn_blocks(drawn):
    from infopipe.present.layout import TextBlock

    return {b.cls: b for b in drawn.items if isinstance(b, TextBlock)}


def test_a_lead_in_stands_above_the_big_number_and_is_said_in_the_alt_text(tmp_path):
    from infopipe.present.layout import layout_panel
    from infopipe.present.render import svg_from_drawn

    spec, figures, panels = _scaffold(tmp_path)
    panel = panels["partners"]
    assert panel.lead == "partnerships with"
    assert panel.alt == "partnerships with a dozen partner organisations"
    drawn = layout_panel(panel, spec.theme, spec.page)
    blocks = _drawn_blocks(drawn)
    lead, value, label = blocks["lead"], blocks["value"], blocks["label"]
    assert lead.lines[-1].y < value.lines[0].y < label.lines[0].y  # lead, number, label, top down
    assert value.size > lead.size
    assert "".join(p.text for line in lead.lines for p in line.pieces) == "partnerships with"
    svg = svg_from_drawn(drawn, spec.theme)
    assert 'class="lead"' in svg and drawn.title == "partnerships with a dozen partner organisations"


def test_a_lead_belongs_to_number_panels(tmp_path, capsys):
    assert main(["--root", str(tmp_path), "new", "demo"]) == 0
    spec = tmp_path / "projects" / "demo" / "spec.yaml"
    text = spec.read_text(encoding="utf-8")
    spec.write_text(text.replace("  - id: countries\n", "  - id: countries\n    lead: we work in\n"), encoding="utf-8")
    assert main(["--root", str(tmp_path), "validate", "demo"]) == 1
    assert "[spec-shape] figure 'countries': 'lead' belongs to a number panel" in capsys.readouterr().err


def test_every_number_panel_of_a_page_shares_one_headline_size_unless_it_keeps_its_own():
    from dataclasses import replace

    from infopipe.present.layout import layout_page
    from infopipe.present.panels import Layout, Page, Panel, Theme

    long = Panel(id="long", kind="number", headline="more than 40,000,000", label="visitors")
    short = Panel(id="short", kind="number", headline="4", label="institutions")
    page = Page("t", "", "", (long, short), Theme(), Layout(columns=2))
    alone = {d.id: _drawn_blocks(d)["value"].size for _, _, d in layout_page(replace(page, panels=(short,))).panels}
    sizes = {d.id: _drawn_blocks(d)["value"].size for _, _, d in layout_page(page).panels}
    assert sizes["panel-long"] == sizes["panel-short"] < alone["panel-short"]  # the smallest that fits
    own = replace(page, panels=(long, replace(short, own_size=True)))
    kept = {d.id: _drawn_blocks(d)["value"].size for _, _, d in layout_page(own).panels}
    assert kept["panel-short"] == alone["panel-short"] > kept["panel-long"]


# ---------------------------------------------------------------- 6. dates from the data

@pytest.mark.parametrize("printed, locale, inside, outside", [
    ("30 June 2024", "en_GB", ["2024-06-30"], ["2024-06-29", "2024-07-01"]),
    ("as of 30 June 2024", "en_GB", ["2024-06-30"], ["2024-06-29"]),
    ("May 2021", "en_GB", ["2021-05-01", "2021-05-31"], ["2021-04-30", "2021-06-01"]),
    ("since 2015", "en_GB", ["2015-01-01", "2015-12-31"], ["2014-12-31", "2016-01-01"]),
    ("4–9 May 2021", "en_GB", [("2021-05-04", "2021-05-09")], [("2021-05-03", "2021-05-09"), ("2021-05-04", "2021-05-10")]),
    ("2019–2023", "en_GB", [("2019-01-01", "2023-12-31"), ("2019-12-31", "2023-01-01")],
     [("2018-12-31", "2023-06-01"), ("2019-06-01", "2024-01-01")]),
    ("30 May – 2 June 2021", "en_GB", [("2021-05-30", "2021-06-02")], [("2021-05-30", "2021-06-03")]),
    ("depuis 2015", "fr_FR", ["2015-06-01"], ["2016-01-01"]),
    ("4–9 mai 2021", "fr_FR", [("2021-05-04", "2021-05-09")], [("2021-05-04", "2021-05-08")]),
    ("30 juin 2024", "fr_FR", ["2024-06-30"], ["2024-07-01"]),
])
def test_date_claims_at_and_around_their_boundaries(printed, locale, inside, outside):
    import datetime as dt

    def as_value(v):
        return tuple(map(dt.date.fromisoformat, v)) if isinstance(v, tuple) else dt.date.fromisoformat(v)

    claim = parse_claim(printed, locale=locale, dates=True)
    assert all(claim.holds(as_value(v)) for v in inside), printed
    assert not any(claim.holds(as_value(v)) for v in outside), printed


@pytest.mark.parametrize("text", ["June", "32 May 2021", "2023–2019", "lots", "9–4 May 2021"])
def test_unreadable_dates_are_refused(text):
    with pytest.raises(ClaimError):
        parse_claim(text, dates=True)


@pytest.mark.parametrize("published, value, printed", [
    ("since 2015", "2015-03-02", "since 2015"),
    ("as of 30 June 2024", "2024-07-31", "as of 31 July 2024"),
    ("May 2021", "2022-01-05", "January 2022"),
    ("4–9 May 2021", ("2021-05-04", "2021-05-09"), "4\u2009–\u20099 May 2021"),  # CLDR's en_GB interval
    ("2019–2023", ("2019-02-01", "2023-11-30"), "2019\u2009–\u20092023"),
])
def test_date_figures_print_again_from_the_data_and_are_read_back(published, value, printed):
    import datetime as dt

    value = tuple(map(dt.date.fromisoformat, value)) if isinstance(value, tuple) else dt.date.fromisoformat(value)
    claim = parse_claim(published, dates=True)
    assert render_template(claim.print_template, value) == printed
    assert check_printed(claim.print_template, value, 0.1) is True  # printed from the value: true of it


def test_a_number_placeholder_refuses_a_date_and_a_date_placeholder_a_number():
    import datetime as dt

    with pytest.raises(FormatError):
        render_template("{comma}", dt.date(2020, 1, 1))
    with pytest.raises(FormatError):
        render_template("{date}", 15)


DATED = """project: dated
title: Dates
period: {start: 2021-01-01, end: 2021-12-31}
datasets:
  sessions:
    file: sessions.csv
    primary_key: session_id
    period_column: held_on
    columns:
      session_id: {type: id}
      held_on: {type: date}
  attendances:
    file: attendances.csv
    primary_key: attendance_id
    columns:
      attendance_id: {type: id}
      session_id: {type: id, references: sessions.session_id}
figures:
  - id: first
    label: first session
    published: "since May 2021"
    rule: {type: min, dataset: sessions, column: held_on}
    explanation: The first session in the period.
  - id: span
    sentence: "sessions held {span}"
    published: "4 May – 9 June 2021"
    rule: {type: date_range, dataset: sessions, column: held_on}
    explanation: The first and last session in the period.
  - id: attended
    label: attendances
    published: "3"
    rule: {type: count_rows, dataset: attendances, via: {column: session_id}}
    explanation: Attendances at sessions in the period, reached through the session.
  - id: all_attended
    label: attendances ever
    published: "4"
    rule: {type: count_rows, dataset: attendances, period: false}
    explanation: Every attendance.
"""


def test_dates_from_the_data_and_the_period_reached_through_via(tmp_path):
    from infopipe.run.pipeline import Paths, validate_only

    (tmp_path / "projects" / "dated").mkdir(parents=True)
    (tmp_path / "projects" / "dated" / "spec.yaml").write_text(DATED, encoding="utf-8")
    raw = tmp_path / "data" / "raw" / "dated"
    raw.mkdir(parents=True)
    (raw / "sessions.csv").write_text("session_id,held_on\nS1,2020-12-01\nS2,2021-05-04\nS3,2021-06-09\n")
    (raw / "attendances.csv").write_text("attendance_id,session_id\nA1,S1\nA2,S2\nA3,S2\nA4,S3\n")
    figures = {f.id: f for f in validate_only(Paths.for_project("dated", tmp_path))["figures"]}
    first, span, attended, everything = (figures[k] for k in ("first", "span", "attended", "all_attended"))
    assert (str(first.value), first.printed, first.claim_holds, first.printed_holds) == (
        "2021-05-04", "since May 2021", True, True)
    assert [str(d) for d in span.value] == ["2021-05-04", "2021-06-09"]
    assert span.printed == "4 May\u2009–\u20099 Jun 2021" and span.printed_holds and span.claim_holds
    assert attended.value == 3  # S1's attendance is outside the period, reached through the session
    assert "held_on in the reporting period 2021-01-01 to 2021-12-31" in attended.rule_in_words
    assert everything.value == 4 and everything.rule_in_words.endswith("over all dates (period: false)")
    assert first.rule_in_words.endswith("held_on in the reporting period 2021-01-01 to 2021-12-31")


# ---------------------------------------------------------------- 7. changes, rates and rankings

CHANGES = DATED + """  - id: per_month
    label: sessions a month
    published: "about 0.17"
    rule: {type: rate, dataset: sessions, per: month}
    explanation: Sessions per month in 2021.
  - id: growth
    label: sessions on 2020
    published: "up 100%"
    rule: {type: change, dataset: sessions, compared_with: {start: 2020-01-01, end: 2020-12-31}}
    explanation: Sessions in 2021 against 2020.
  - id: busiest
    kind: list
    label: attendances
    rule: {type: count_rows, dataset: attendances, period: false}
    breakdown:
      column: session_id
      top: 1  # S1 and S3 tie at place 2: a second place would be refused (ranking-tied)
      parts:
        - {value: S2, published: "2"}
    explanation: The best-attended session.
"""


def _dated(tmp_path, spec_text, sessions="S1,2020-12-01\nS2,2021-05-04\nS3,2021-06-09\nS4,2019-01-01\n"):
    from infopipe.present.page import page_for
    from infopipe.run.pipeline import Paths, validate_only
    from infopipe.spec.model import load_spec

    (tmp_path / "projects" / "dated").mkdir(parents=True, exist_ok=True)
    (tmp_path / "projects" / "dated" / "spec.yaml").write_text(spec_text, encoding="utf-8")
    raw = tmp_path / "data" / "raw" / "dated"
    raw.mkdir(parents=True, exist_ok=True)
    (raw / "sessions.csv").write_text("session_id,held_on\n" + sessions)
    (raw / "attendances.csv").write_text("attendance_id,session_id\nA1,S1\nA2,S2\nA3,S2\nA4,S3\n")
    results = validate_only(Paths.for_project("dated", tmp_path))["figures"]
    spec = load_spec(tmp_path / "projects" / "dated" / "spec.yaml")
    return {f.id: f for f in results}, {p.id: p for p in page_for(spec, results).panels}


def test_a_rate_over_the_reporting_period_a_change_and_a_ranking(tmp_path):
    from infopipe.concepts.rules import recount
    from infopipe.spec.compile import compile_spec
    from infopipe.spec.model import load_spec

    figures, panels = _dated(tmp_path, CHANGES)
    rate, growth = figures["per_month"], figures["growth"]
    assert rate.value == pytest.approx(2 / (365 / (365.25 / 12)))  # 2 sessions in 2021, per month
    assert (rate.printed, rate.claim_holds, rate.printed_holds) == ("about 0.17", True, True)
    assert (growth.value, growth.printed, growth.claim_holds) == (100.0, "up 100%", True)
    assert set(growth.records["session_id"]) == {"S1", "S2", "S3"}  # both periods' records, not 2019's
    rule = compile_spec(load_spec(tmp_path / "projects" / "dated" / "spec.yaml")).figure("growth").rule
    assert recount(rule, growth.records) == growth.value  # the reviewer's recount from the lineage
    first = figures["busiest_1"]
    assert (first.label, first.value, first.claim_holds) == ("S2", 2, True)
    assert set(first.records["session_id"]) == {"S2"}
    assert panels["busiest"].sentence_text() == "2 S2"


def test_a_fall_prints_down_and_the_arrow_follows_the_sign(tmp_path):
    spec = DATED.split("figures:")[0] + """figures:
  - id: growth
    label: sessions on 2020
    published: "down 50%"
    print: "{change:0,arrow}"
    rule: {type: change, dataset: sessions, compared_with: {start: 2020-01-01, end: 2020-12-31}}
    explanation: Sessions in 2021 against 2020.
"""
    figures, _ = _dated(tmp_path, spec, "S1,2020-12-01\nS5,2020-03-01\nS2,2021-05-04\nS3,2019-06-09\nS4,2019-01-01\n")
    growth = figures["growth"]
    assert (growth.value, growth.printed, growth.claim_holds, growth.printed_holds) == (-50.0, "↓ 50%", True, True)


def test_a_ranking_the_data_does_not_bear_out_fails_naming_the_place(tmp_path):
    from infopipe.errors import InfopipeError

    with pytest.raises(InfopipeError) as caught:
        _dated(tmp_path, CHANGES.replace("{value: S2, published", "{value: S3, published"))
    [problem] = caught.value.problems
    assert problem.check == "ranking-differs" and "'S3' at place 1, the data puts 'S2'" in problem.message


@pytest.mark.parametrize("text, inside, outside", [
    ("up 196%", [196, 195.5], [195.4, 196.5, -196]), ("down 12%", [-12, -11.6], [12, -12.5, -11.4]),
    ("unchanged", [0, 0.4, -0.5], [0.5, -0.6]), ("up more than 190%", [191], [190, -191]),
    ("↑ 5%", [5], [-5]), ("en baisse de 12 %", [-12], [12]),
])
def test_change_claims_at_their_boundaries(text, inside, outside):
    claim = parse_claim(text, locale="fr_FR" if "baisse" in text else "en_GB")
    assert all(claim.holds(v) for v in inside) and not any(claim.holds(v) for v in outside)


# ---------------------------------------------------------------- 8. the input money parser follows the locale

MONEY = """project: money
title: Money
locale: fr_FR
datasets:
  grants:
    file: grants.csv
    primary_key: grant_id
    columns:
      grant_id: {type: id}
      amount: {type: money}
figures:
  - id: total
    label: de subventions
    published: "environ 2,5 M€"
    rule: {type: sum, dataset: grants, column: amount}
    explanation: Every grant.
"""


def _money(tmp_path, rows, spec=MONEY):
    from infopipe.run.pipeline import Paths, validate_only

    (tmp_path / "projects" / "money").mkdir(parents=True, exist_ok=True)
    (tmp_path / "projects" / "money" / "spec.yaml").write_text(spec, encoding="utf-8")
    (tmp_path / "data" / "raw" / "money").mkdir(parents=True, exist_ok=True)
    (tmp_path / "data" / "raw" / "money" / "grants.csv").write_text("grant_id,amount\n" + rows, encoding="utf-8")
    return {f.id: f for f in validate_only(Paths.for_project("money", tmp_path))["figures"]}


def test_french_money_is_read_in_french_style(tmp_path):
    figures = _money(tmp_path, 'G1,"1 000 000,50 €"\nG2,1500000\nG3,"-0,50"\nG4,"250\u202f000 €"\n')
    assert figures["total"].value == pytest.approx(2_750_000.0)
    assert figures["total"].printed == "environ 2,8\u00a0M€"


@pytest.mark.parametrize("cell", ['"1,000.50"', "£1000", '"1.000.000,00"', "abc"])
def test_uk_style_or_other_money_is_refused_in_a_french_spec_naming_the_cell(tmp_path, cell):
    from infopipe.errors import InfopipeError

    with pytest.raises(InfopipeError) as caught:
        _money(tmp_path, f"G1,{cell}\nG2,2500000\n")
    [problem] = caught.value.problems
    assert (problem.row, problem.line, problem.column, problem.check) == (1, 2, "amount", "type:money")
    assert problem.message.startswith("not an amount of money in French style")


def test_uk_money_stays_as_it_was_in_an_english_spec(tmp_path):
    spec = MONEY.replace("locale: fr_FR", "locale: en_GB").replace('"environ 2,5 M€"', '"about €2.5m"')
    assert _money(tmp_path, 'G1,"£1,000,000.50"\nG2,1500000\n', spec)["total"].value == pytest.approx(2_500_000.5)
