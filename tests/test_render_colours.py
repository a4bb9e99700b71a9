"""Colours: malformed ones are clear errors; every text colour is checked against its background."""

from __future__ import annotations

from dataclasses import replace

import pytest

from infopipe.present.colours import (check_page_colours, contrast_problems, contrast_ratio, hex_colour,
                              parse_colour)
from infopipe.errors import InfopipeError
from panel_samples import every_kind_page, jam_page
from infopipe.present.panels import Panel, Theme


@pytest.mark.parametrize("text,rgb", [("#fff", (255, 255, 255)), ("#B6244F", (182, 36, 79)),
                                      ("navy", (0, 0, 128)), (" Teal ", (0, 128, 128))])
def test_good_colours_parse(text, rgb):
    assert parse_colour(text) == rgb


@pytest.mark.parametrize("text,words", [("#ff", "not a hex colour"), ("#12345g", "not a hex colour"),
                                        ("#1234567", "not a hex colour"), ("reddish", "CSS colour name"),
                                        ("rgb(1,2,3)", "CSS colour name"), ("", "empty"), (None, "empty")])
def test_malformed_colours_are_named_in_the_error(text, words):
    with pytest.raises(ValueError) as err:
        parse_colour(text)
    assert words in str(err.value) and repr(text) in str(err.value)


def test_contrast_ratio_matches_wcag_reference_values():
    assert contrast_ratio("#000000", "#ffffff") == pytest.approx(21.0)
    assert contrast_ratio("#ffffff", "#ffffff") == pytest.approx(1.0)
    assert contrast_ratio("#767676", "#ffffff") == pytest.approx(4.54, abs=0.01)  # the AA grey
    assert contrast_ratio("#777777", "#ffffff") == pytest.approx(4.48, abs=0.01)


def test_a_pair_below_aa_is_named_with_its_ratio():
    theme = Theme(muted="#999999")
    assert contrast_problems(theme, []) == [
        "muted #999999 on panel_background #ffffff: 2.84:1, below 4.5:1",
        "subtitle and credit muted #999999 on background #ffffff: 2.84:1, below 4.5:1"]


def test_accent_colours_used_for_text_are_checked_per_panel():
    theme = Theme()
    panels = [Panel(id="a", kind="number", headline="1", color="#e07a1f"),
              Panel(id="b", kind="number", headline="2", color="#e07a1f"),
              Panel(id="c", kind="number", headline="3", color="#2f5d8a")]
    assert contrast_problems(theme, panels) == [
        "accent (panels a, b) #e07a1f on panel_background #ffffff: 3.01:1, below 4.5:1"]


def test_the_check_fails_the_run_naming_the_pair():
    page = every_kind_page()
    check_page_colours(page)  # the sample theme passes
    dim = replace(page, theme=page.theme.model_copy(update={"text": "#bbbbbb"}))
    with pytest.raises(InfopipeError) as err:
        check_page_colours(dim)
    assert "[contrast] text #bbbbbb on panel_background #ffffff: 1.91:1, below 4.5:1" in str(err.value)


def test_a_malformed_theme_colour_is_a_clear_error_before_contrast():
    page = every_kind_page()
    with pytest.raises(InfopipeError) as err:
        check_page_colours(replace(page, theme=page.theme.model_copy(update={"muted": "#12"})))
    assert "[colour] theme.muted: colour '#12' is not a hex colour" in str(err.value)


def test_jam_and_justice_palette_has_three_accents_below_aa():
    """The shipped theme's orange, ochre and teal are too light for text on white (see the report)."""
    problems = contrast_problems(jam_page().theme, jam_page().panels)
    assert [p.split(" on ")[0] for p in problems] == [
        "accent (panels funding_bodies) #e07a1f", "accent (panels pilot_projects) #c4952b",
        "accent (panels arc_projects) #1f8a8a"]


def test_colours_are_written_in_one_spelling():
    assert hex_colour("NAVY") == "#000080" and hex_colour("#AbC") == "#aabbcc"
