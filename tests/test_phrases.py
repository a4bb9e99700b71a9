"""Number phrases in running text: found by the claim reader, grown to the claim they make, with the
words around them."""

from __future__ import annotations

import re

from hypothesis import given, strategies as st

from infopipe.concepts.phrases import content_words, find_phrases

PROSE = ("The project operated with a budget of 38 person-months (PM) per year for 3 years, with "
         "contributions from the following 8 funding partners.\n"
         "• 6 online workshops to over 2000 registered participants (3 days).\n"
         "– Online, Sep 10–19, 2024\n"
         "someone counted between 20 and 30 rooms, 50+ people, £1m, a dozen cats, dozens of dogs, "
         "nearly £3 million and 45% of the H2O in ES/N005945")


def test_each_number_is_read_as_the_claim_it_makes():
    found = [(p.text, p.claim.kind) for p in find_phrases(PROSE)]
    assert found == [
        ("38", "exact"), ("3", "exact"), ("8", "exact"), ("6", "exact"), ("over 2000", "more_than"),
        ("3", "exact"), ("10–19", "range"), ("2024", "exact"), ("between 20 and 30", "range"),
        ("50+", "at_least"), ("£1m", "exact"), ("a dozen", "exact"), ("dozens", "scale"),
        ("nearly £3 million", "nearly"), ("45%", "exact")]


def test_offsets_point_at_the_printed_text():
    for p in find_phrases(PROSE):
        assert PROSE[p.start:p.end] == p.text


def test_the_words_around_stay_in_their_clause_and_parentheses():
    phrases = {p.text: p for p in find_phrases(PROSE)}
    assert phrases["38"].after == ("person", "month", "pm") and phrases["38"].left == "of"
    assert phrases["over 2000"].after == ("registered", "participant", "day")  # its parentheses too
    assert phrases["8"].before[-1] == "following" and phrases["8"].after == ("funding", "partner")
    inside = [p for p in find_phrases(PROSE) if p.text == "3"][1]  # "(3 days)"
    assert inside.before == () and inside.after == ("day",)
    assert phrases["10–19"].before == ("online", "sep")  # the list's dash starts a clause


def test_words_inside_other_words_are_not_numbers():
    assert [p.text for p in find_phrases("someone often wrote H2O, 3D and ten")] == ["ten"]


def test_content_words_drop_stopwords_and_plurals():
    assert content_words("the 8 funding partners of the class") == ("funding", "partner", "class")


@given(st.lists(st.integers(0, 10**6), min_size=1, max_size=8))
def test_every_printed_number_is_inside_one_phrase(numbers):
    text = " and ".join(f"{n:,} items" for n in numbers)
    phrases = find_phrases(text)
    for m in re.finditer(r"\d[\d,]*", text):
        assert sum(p.start <= m.start() and m.end() <= p.end for p in phrases) == 1, (text, m.group())
