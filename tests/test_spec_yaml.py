"""The spec's YAML read by libyaml: the same document and the same line of every key and item as the
pure-Python reader, which still words every error."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
import yaml

from conftest import ROOT
from infopipe.errors import InfopipeError
from infopipe.spec import model

sys.path.insert(0, str(ROOT / "benchmarks"))
import big_page  # noqa: E402

SPECS = sorted(ROOT.glob("projects/*/spec.yaml")) + [ROOT / "src/infopipe/spec/scaffold_files/spec.yaml"]


def lines(node, at="") -> dict:
    """Every mapping's and list's own line, and each key's and item's line, by path."""
    out = {}
    if isinstance(node, dict):
        out[at] = (node.line, dict(node.key_lines))
        for key, value in node.items():
            out.update(lines(value, f"{at}/{key}"))
    elif isinstance(node, list):
        out[at] = (node.line, list(node.item_lines))
        for i, value in enumerate(node):
            out.update(lines(value, f"{at}/{i}"))
    return out


@pytest.mark.parametrize("text", [p.read_text(encoding="utf-8") for p in SPECS] + [big_page.spec_text("big", 60)],
                         ids=[p.parent.name for p in SPECS] + ["big-page"])
def test_libyaml_reads_the_same_document_with_the_same_lines(text):
    fast, reference = (yaml.load(text, Loader=loader) for loader in (model.LOADERS[0], model._LineLoader))
    assert model.LOADERS[0] is not model._LineLoader
    assert fast == reference
    assert lines(fast) == lines(reference) and len(lines(fast)) > 20


def test_a_spec_is_read_without_the_pure_python_scanner(monkeypatch):
    def refuse(*args):
        raise AssertionError("the pure-Python scanner ran")

    monkeypatch.setattr(yaml.scanner.Scanner, "fetch_more_tokens", refuse)
    model._LOADED.clear()
    spec = model.load_spec(ROOT / "projects" / "jam-and-justice" / "spec.yaml")
    assert spec.figures[0].line == 101


@pytest.mark.parametrize("text, words", [
    ("project: x\nproject: y\n", "line 2: [yaml-syntax] duplicate key 'project'"),
    ("project: &p x\ntitle: *p\n", "line 1: [yaml-syntax] YAML anchors and aliases (&name, *name) are not allowed"),
    ("project: [a, b\ntitle: c\n", "line 2: [yaml-syntax] expected ',' or ']', but got ':'"),
])
def test_errors_keep_the_reference_words_and_line(tmp_path, text, words):
    spec = tmp_path / "spec.yaml"
    spec.write_text(text, encoding="utf-8")
    with pytest.raises(InfopipeError) as err:
        model.load_spec(spec)
    assert words in str(err.value)
