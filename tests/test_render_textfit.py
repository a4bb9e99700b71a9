"""Text measured with the real font file, wrapped greedily, cut with an ellipsis only when told."""

from __future__ import annotations

import pytest

from infopipe.present.textfit import Run, ellipsize, fit_size, fonts_for, line_text, runs_width, wrap, wrap_limited

FONTS = fonts_for("Liberation Sans")
TEXT = "recruits and their networks selected from fifty applicants across Greater Manchester"


def test_the_font_is_the_file_fontconfig_picks_with_its_metrics():
    assert FONTS.regular.path.endswith("LiberationSans-Regular.ttf")
    assert FONTS.bold.path.endswith("LiberationSans-Bold.ttf")
    assert FONTS.regular.family == "Liberation Sans"
    # Liberation Sans is metric-compatible with Arial: 'a' is 1139/2048 em, 'W' 1933/2048 em
    assert FONTS.regular.width("a", 2048) == pytest.approx(1139)
    assert FONTS.regular.width("W", 2048) == pytest.approx(1933)
    assert FONTS.bold.width("b", 2048) == pytest.approx(1251) and FONTS.regular.width("b", 2048) == pytest.approx(1139)
    assert FONTS.regular.ascent == pytest.approx(1854 / 2048) and FONTS.regular.descent == pytest.approx(434 / 2048)


def test_width_is_the_sum_of_advances_scaled_by_size():
    assert FONTS.regular.width("AV", 20) == pytest.approx(FONTS.regular.width("A", 20) + FONTS.regular.width("V", 20))
    assert FONTS.regular.width("text", 30) == pytest.approx(3 * FONTS.regular.width("text", 10))


def test_characters_liberation_lacks_are_measured_in_dejavu():
    arrow = "\u21e8"  # not in Liberation Sans, in DejaVu Sans
    assert ord(arrow) not in FONTS.regular.advances
    assert FONTS.regular.width(arrow, 10) == pytest.approx(FONTS.regular.fallback.advances[ord(arrow)] * 10)


@pytest.mark.parametrize("width", [130, 200, 252])
def test_wrapped_lines_fit_and_keep_every_word_in_order(width):
    lines = wrap([Run(TEXT)], FONTS, 20, width)
    assert all(runs_width(line, FONTS, 20) <= width for line in lines)
    assert " ".join(line_text(line) for line in lines) == TEXT
    # greedy: the first word of each next line would not have fitted on the line before
    for before, after in zip(lines, lines[1:]):
        first = line_text(after).split(" ")[0]
        assert runs_width(before, FONTS, 20) + FONTS.regular.width(" " + first, 20) > width


def test_a_word_wider_than_the_line_is_broken_by_character():
    lines = wrap([Run("Supercalifragilisticexpialidocious")], FONTS, 20, 100)
    assert len(lines) > 1 and "".join(line_text(line) for line in lines) == "Supercalifragilisticexpialidocious"
    assert all(runs_width(line, FONTS, 20) <= 100 for line in lines)


def test_styles_survive_wrapping_and_spaces_stay_plain_between_styles():
    runs = [Run("selected from "), Run("50", True, "sub-value"), Run(" applicants")]
    (line,) = wrap(runs, FONTS, 16, 500)
    assert line == (Run("selected from "), Run("50", True, "sub-value"), Run(" applicants"))
    (figure,) = wrap([Run("more than 40", True, "value")], FONTS, 16, 500)
    assert figure == (Run("more than 40", True, "value"),)


def test_cutting_keeps_the_first_lines_and_ends_in_an_ellipsis():
    lines = wrap_limited([Run(TEXT)], FONTS, 20, 150, max_lines=2)
    assert len(lines) == 2 and line_text(lines[-1]).endswith("…")
    assert runs_width(lines[-1], FONTS, 20) <= 150
    assert line_text(lines[0]) == line_text(wrap([Run(TEXT)], FONTS, 20, 150)[0])
    assert wrap_limited([Run("short")], FONTS, 20, 150, max_lines=1) == [(Run("short"),)]


def test_ellipsize_shortens_until_it_fits():
    cut = ellipsize((Run("a rather long line of text"),), FONTS, 20, 90)
    assert line_text(cut).endswith("…") and runs_width(cut, FONTS, 20) <= 90
    assert not line_text(cut)[:-1].endswith(" ")


def test_fit_size_shrinks_to_the_width_but_not_below_the_floor():
    natural = FONTS.bold.width("more than 40", 64)
    assert fit_size("more than 40", FONTS, True, 64, natural + 1, 10) == 64
    assert fit_size("more than 40", FONTS, True, 64, natural / 2, 10) == pytest.approx(32)
    assert fit_size("more than 40", FONTS, True, 64, natural / 10, 10) == 10


def test_a_figure_is_never_split_across_lines_when_it_fits_on_one():
    runs = [Run("6 online CodeRefinery tools workshops to "), Run("over 2000", True, "figure"),
            Run(" registered participants")]
    for width in range(120, 400, 7):
        lines = wrap(runs, FONTS, 26, width)
        figures = [r.text for line in lines for r in line if r.tag == "figure"]
        assert figures == ["over 2000"], width
    # wider than the line itself: it breaks at its own spaces, still marked as a figure
    lines = wrap([Run("more than 1,000,000", True, "value")], FONTS, 40, 200)
    assert [line_text(line) for line in lines] == ["more than", "1,000,000"]
    assert all(r.tag == "value" for line in lines for r in line)
