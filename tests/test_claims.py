"""Claims at and around their boundaries, print templates, and the promise that a generated printed
text is always true of the value it was generated from."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from infopipe.concepts.claims import KINDS, WORD_SCALES, ClaimError, parse_claim
from infopipe.concepts.formats import FormatError, check_template, render_template


@pytest.mark.parametrize("printed, kind, inside, outside", [
    ("15", "exact", [15], [14, 16]),
    ("£1m", "exact", [1_000_000, 1_040_000, 500_000], [1_500_000, 499_999]),
    ("1,200", "exact", [1200], [1199, 1201]),
    ("45%", "exact", [45, 45.4], [45.5, 44.4]),
    ("more than 50", "more_than", [51, 50.5], [50, 49]),
    ("over 20", "more_than", [21], [20]),
    ("above 7", "more_than", [8], [7]),
    ("at least a dozen", "at_least", [12, 13], [11]),
    ("at least 30", "at_least", [30], [29]),
    ("50+", "at_least", [50, 51], [49]),
    ("50 or more", "at_least", [50], [49]),
    ("fewer than 10", "fewer_than", [9], [10, 11]),
    ("under 5", "fewer_than", [4], [5]),
    ("up to 200", "up_to", [200, 0], [201]),
    ("at most 3", "up_to", [3], [4]),
    ("around 200", "approximate", [180, 220, 200], [179, 221]),
    ("about 1,000", "approximate", [900, 1100], [899, 1101]),
    ("nearly £3 million", "nearly", [2_700_000, 2_999_999], [3_000_000, 2_699_999]),
    ("almost 100", "nearly", [90, 99], [100, 89]),
    ("between 20 and 30", "range", [20, 25, 30], [19, 31]),
    ("20–30", "range", [20, 30], [19, 31]),
    ("a dozen", "exact", [12], [11, 13]),
    ("half a dozen", "exact", [6], [5, 7]),
    ("dozens", "scale", [24, 143], [23, 144]),
    ("dozens of", "scale", [24], [23]),
    ("scores", "scale", [40, 399], [39, 400]),
    ("hundreds", "scale", [200, 1999], [199, 2000]),
    ("thousands", "scale", [2000, 1_999_999], [1999, 2_000_000]),
])
def test_claim_kinds_at_and_around_their_boundaries(printed, kind, inside, outside):
    claim = parse_claim(printed)
    assert claim.kind == kind
    assert all(claim.holds(v) for v in inside), [v for v in inside if not claim.holds(v)]
    assert not any(claim.holds(v) for v in outside), [v for v in outside if claim.holds(v)]


def test_tolerance_is_the_specs_to_set():
    assert parse_claim("around 200", tolerance=0.05).holds(210)
    assert not parse_claim("around 200", tolerance=0.05).holds(211)


def test_every_kind_has_words_naming_its_bounds():
    assert parse_claim("more than 40").words() == "a lower bound: the value must be above 40"
    assert parse_claim("dozens").words() == "a word scale: the value must be from 24 to 143"
    assert {parse_claim(t).kind for t in ("15", "over 2", "2+", "under 2", "up to 2", "about 2",
                                          "nearly 2", "2-3", "dozens")} == set(KINDS)


@pytest.mark.parametrize("text", ["lots", "more than many", "between 30 and 20", "£", ""])
def test_unreadable_claims_are_refused(text):
    with pytest.raises(ClaimError):
        parse_claim(text)


@pytest.mark.parametrize("template, value, printed", [
    ("{value}", 15, "15"),
    ("{comma}", 1234567, "1,234,567"),
    ("more than {below:10}", 43, "more than 40"),
    ("more than {below:10}", 40, "more than 30"),
    ("{floor:10}+", 57, "50+"),
    ("fewer than {above:10}", 10, "fewer than 20"),
    ("up to {ceil:100}", 130, "up to 200"),
    ("around {round:100}", 249, "around 200"),
    ("around {round}", 249, "around 250"),
    ("nearly {above}", 94, "nearly 95"),
    ("{money:£}", 1_000_000, "£1m"),
    ("{money:£}", 1_250_000, "£1.3m"),  # half up: "£1.2m" reads as [1.15m, 1.25m), which 1.25m is not in
    ("{money:£}", 1_240_000, "£1.2m"),
    ("{money:£}", 250_000, "£250k"),
    ("{money:£}", 999, "£999"),
    ("{money:$}", 2_300_000_000, "$2.3bn"),
    ("nearly {money:£,above}", 2_940_000, "nearly £3m"),
    ("{percent:1}", 45.25, "45.3%"),  # half up, as "45.2%" reads as [45.15, 45.25)
    ("{ordinal}", 23, "23rd"),
    ("{ordinal}", 11, "11th"),
    ("{scale}", 30, "dozens"),
    ("{scale}", 300, "hundreds"),
    ("{scale}", 150, "scores"),
    ("work in {value} countries", 12, "work in 12 countries"),
])
def test_print_templates(template, value, printed):
    check_template(template)
    assert render_template(template, value) == printed


@pytest.mark.parametrize("template", ["{nope}", "{floor:0}", "{floor:x}", "{floor:-5}", "{value:3}",
                                      "{percent:many}", "{money:£,sideways}", "more than {value"])
def test_bad_templates_are_refused(template):
    with pytest.raises(FormatError):
        check_template(template)


CLAIM_TEXTS = ["15", "1,200", "£1m", "£250k", "45%", "more than 40", "over 20", "at least 30", "50+",
               "50 or more", "fewer than 10", "up to 200", "around 200", "nearly £3 million",
               "almost 100", "between 20 and 30", "dozens", "hundreds", "thousands"]


@settings(max_examples=500, deadline=None)
@given(text=st.sampled_from(CLAIM_TEXTS), value=st.integers(1, 5_000_000))
def test_generated_printed_text_is_true_of_its_value(text, value):
    """Whatever the new value, the text a claim's own template prints from it is a true claim."""
    claim = parse_claim(text)
    if claim.kind == "scale" and not any(lo <= value <= hi for lo, hi in WORD_SCALES.values()):
        with pytest.raises(FormatError):
            render_template(claim.print_template, value)
        return
    printed = render_template(claim.print_template, value)
    assert parse_claim(printed).holds(value), (text, value, printed)
