"""Render's own faults: no fontconfig or no font is a clear, located error that says what to install."""

from __future__ import annotations

import pytest

from infopipe.present import textfit
from infopipe.errors import InfopipeError
from panel_samples import every_kind_page
from infopipe.present.render import render_panel_svg


@pytest.fixture
def no_font_cache():
    textfit.fonts_for.cache_clear()
    textfit.load_font.cache_clear()
    yield
    textfit.fonts_for.cache_clear()
    textfit.load_font.cache_clear()


def test_missing_fontconfig_says_what_to_install(monkeypatch, no_font_cache):
    monkeypatch.setenv("PATH", "/nonexistent")
    page = every_kind_page()
    with pytest.raises(InfopipeError) as err:
        render_panel_svg(page.panels[0], page.theme, page.layout)
    text = str(err.value)
    assert "[font-missing]" in text and "fonts-liberation" in text and "fonts-dejavu-core" in text


def test_a_font_that_fontconfig_cannot_resolve_is_a_clear_error(monkeypatch, no_font_cache):
    class Done:
        returncode, stdout = 1, ""

    monkeypatch.setattr(textfit.subprocess, "run", lambda *a, **k: Done())
    with pytest.raises(InfopipeError, match=r"found no font for 'Liberation Sans:regular'.*fonts-liberation"):
        textfit.fonts_for("Liberation Sans")
