"""The README's spec tables are generated from the registries: adding a claim kind, placeholder,
rule, filter or column type without regenerating them fails here."""

from __future__ import annotations

from conftest import ROOT
from infopipe.spec.reference import reference


def test_readme_holds_the_reference_generated_from_the_registries():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert reference() in readme, "run: .venv/bin/python -m infopipe.spec.reference, and paste it into README.md"
