"""Rankings said label first, and labels from the data said as a reader reads them (issue 17,
item 7): "the busiest station: Tower, 499 launches", "3 travelling exhibitions and 1 video". Every
figure is counted from the rows the test writes, and its expected value from those rows here."""

from __future__ import annotations

import json
import random
from collections import Counter

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from infopipe.cli import main
from infopipe.errors import InfopipeError

SPEC = """project: lifeboats
title: Lifeboats in numbers
locale: {locale}
datasets:
  launches:
    file: launches.csv
    primary_key: launch_id
    columns:
      launch_id: {{type: id}}
      station: {{type: text}}
  outputs:
    file: outputs.csv
    primary_key: output_id
    columns:
      output_id: {{type: id}}
      kind: {{type: text, allowed: [exhibition, video, report]}}
figures:
  - id: busiest
    kind: list
    lead: "{lead}"
    rule: {{type: count_rows, dataset: launches}}
    breakdown:
      column: station
      top: 1
      each: "{{label}}, {{figure}} {{unit}}"
      unit: {unit}
      labels: {{TWR: Tower, BRG: Bridge, PIE: Pier}}
      parts:
        - {{value: {first}, published: "{first_count}"}}
    explanation: Launches per station; the station with the most.
  - id: top_three
    kind: list
    lead: "{lead_three}"
    rule: {{type: count_rows, dataset: launches}}
    breakdown:
      column: station
      top: 3
      each: "{{label}}, {{figure}} {{unit}}"
      unit: {unit}
      labels: {{TWR: Tower, BRG: Bridge, PIE: Pier}}
    explanation: The three stations with the most launches.
  - id: outputs
    kind: list
    rule: {{type: count_rows, dataset: outputs}}
    breakdown:
      column: kind
      labels:
        exhibition: {{one: travelling exhibition, other: travelling exhibitions}}
        video: {{one: video, other: videos}}
      parts:
        - {{value: exhibition, published: "{exhibitions}"}}
        - {{value: video, published: "{videos}"}}
    explanation: What the project made, by kind.
"""
EN = {"locale": "en_GB", "lead": "the busiest station:", "lead_three": "the busiest stations:",
      "unit": "{one: launch, other: launches}"}
FR = {"locale": "fr_FR", "lead": "la station la plus active :", "lead_three": "les stations les plus actives :",
      "unit": "{one: sortie, other: sorties}"}
LAUNCHES = {"TWR": 499, "BRG": 37, "PIE": 1, "ZZZ": 0}  # Pier: one launch, said in the singular


def _project(root, launches=LAUNCHES, outputs=(("exhibition", 3), ("video", 1)), words=EN, **spec):
    """A project whose rows hold `launches` per station (shuffled) and `outputs` per kind; the
    spec's published figures are taken from those counts unless `spec` says otherwise."""
    rows = [s for s, n in launches.items() for _ in range(n)]
    random.Random(7).shuffle(rows)
    made = [k for k, n in outputs for _ in range(n)]
    ranked = Counter(rows).most_common()
    counts = dict(outputs)
    fields = {**words, "first": ranked[0][0], "first_count": ranked[0][1],
              "exhibitions": counts["exhibition"], "videos": counts["video"], **spec}
    (root / "projects" / "lifeboats").mkdir(parents=True, exist_ok=True)
    (root / "projects" / "lifeboats" / "spec.yaml").write_text(SPEC.format(**fields), encoding="utf-8")
    raw = root / "data" / "raw" / "lifeboats"
    raw.mkdir(parents=True, exist_ok=True)
    (raw / "launches.csv").write_text("launch_id,station\n" + "".join(f"L{i},{s}\n" for i, s in enumerate(rows)))
    (raw / "outputs.csv").write_text("output_id,kind\n" + "".join(f"O{i},{k}\n" for i, k in enumerate(made)))
    return Counter(rows)


def _validated(root):
    from infopipe.present.page import page_for
    from infopipe.run.pipeline import Paths, validate_only
    from infopipe.spec.model import load_spec

    results = validate_only(Paths.for_project("lifeboats", root))["figures"]
    spec = load_spec(root / "projects" / "lifeboats" / "spec.yaml")
    return {f.id: f for f in results}, {p.id: p for p in page_for(spec, results).panels}


def test_the_busiest_station_is_said_label_first_with_the_count_in_its_plural_form(tmp_path):
    counts = _project(tmp_path)
    figures, panels = _validated(tmp_path)
    (station, n), (second, m), (third, k) = counts.most_common(3)
    names = {"TWR": "Tower", "BRG": "Bridge", "PIE": "Pier"}
    assert panels["busiest"].sentence_text() == f"the busiest station: {names[station]}, {n} launches"
    assert panels["busiest"].sentence_text() == "the busiest station: Tower, 499 launches"  # the words
    bold = [s.text for s in panels["busiest"].segments if s.is_figure]
    assert bold == [str(n)]  # the count is the figure, printed from the value
    assert panels["top_three"].sentence_text() == (
        f"the busiest stations: {names[station]}, {n} launches, {names[second]}, {m} launches and "
        f"{names[third]}, {k} launch")  # Pier's one launch is singular; Babel joins with "and"
    first = figures["busiest_1"]
    assert (first.label, first.value, first.claim_holds, first.printed_holds) == (names[station], n, True, True)
    # the count's lineage: exactly the station's records
    assert len(first.records) == n and set(first.records["station"]) == {station}
    assert first.rule_in_words.endswith("; place 1 when the values of 'station' are ranked by this count over "
                                        "the records of figure 'busiest'")
    assert figures["top_three_3"].rule_in_words.split("; ")[-1].startswith("place 3 ")
    # the ranking's lineage: every record with its station, from which a reviewer ranks them again
    whole = figures["busiest"]
    assert Counter(whole.records["station"]).most_common(1) == [(station, n)]
    assert len(whole.records) == sum(counts.values())


def test_data_labels_take_the_plural_form_of_their_count(tmp_path):
    _project(tmp_path, outputs=(("exhibition", 3), ("video", 1)))
    figures, panels = _validated(tmp_path)
    assert panels["outputs"].sentence_text() == "3 travelling exhibitions and 1 video"
    assert figures["outputs_exhibition"].label == "travelling exhibitions"
    _project(tmp_path, outputs=(("exhibition", 1), ("video", 12)))
    figures, panels = _validated(tmp_path)
    assert panels["outputs"].sentence_text() == "1 travelling exhibition and 12 videos"


def test_the_list_follows_the_specs_language(tmp_path):
    counts = _project(tmp_path, words=FR, launches={"TWR": 1500, "BRG": 1, "PIE": 2})
    _, panels = _validated(tmp_path)
    (a, n), (b, m), (c, k) = counts.most_common(3)
    assert (a, b, c) == ("TWR", "PIE", "BRG")
    # French groups with a narrow no-break space, joins with "et", and 1 is singular
    assert panels["top_three"].sentence_text() == (
        "les stations les plus actives : Tower, 1\u202f500 sorties, Pier, 2 sorties et Bridge, 1 sortie")


def test_a_ranking_the_data_does_not_bear_out_is_refused(tmp_path):
    _project(tmp_path, first="BRG", first_count=37)
    with pytest.raises(InfopipeError) as caught:
        _validated(tmp_path)
    [problem] = caught.value.problems
    assert problem.check == "ranking-differs" and "'BRG' at place 1, the data puts 'TWR'" in problem.message


def test_a_tie_the_page_would_break_by_itself_is_refused(tmp_path):
    _project(tmp_path, launches={"TWR": 40, "BRG": 40, "PIE": 3})
    with pytest.raises(InfopipeError) as caught:
        _validated(tmp_path)
    [problem] = caught.value.problems  # 'busiest' names BRG (first by name) at place 1, tied with TWR
    assert problem.check == "ranking-tied" and problem.line
    assert "'BRG' (place 1) and 'TWR' (place 2) both count 40 in 'station'" in problem.message
    _project(tmp_path, launches={"TWR": 40, "BRG": 9, "PIE": 3, "SEA": 3})  # top three: PIE or SEA?
    with pytest.raises(InfopipeError) as caught:
        _validated(tmp_path)
    [problem] = caught.value.problems
    assert problem.check == "ranking-tied" and "'PIE' (place 3) and 'SEA' (place 4)" in problem.message


def test_a_ranked_place_the_data_cannot_fill_is_refused(tmp_path):
    _project(tmp_path, launches={"TWR": 4})
    text = (tmp_path / "projects" / "lifeboats" / "spec.yaml").read_text()
    (tmp_path / "projects" / "lifeboats" / "spec.yaml").write_text(text.replace(
        "      top: 3\n", "      top: 3\n      parts:\n        - {value: TWR}\n        - {value: BRG}\n"))
    with pytest.raises(InfopipeError) as caught:
        _validated(tmp_path)
    [problem] = caught.value.problems
    assert problem.check == "ranking-differs" and "'BRG' at place 2, the data has only 1 values" in problem.message


@pytest.mark.parametrize("change, check, words, key", [
    ('each: "{{label}}, {{figure}} {{unit}}"\n      unit: {unit}', None, None, None),
    ('each: "{{label}}, {{figure}} {{unit}}"', "required", "give the breakdown a 'unit'", "each"),
    ('each: "{{figure}} launches"', "spec-shape", "must name {figure} and {label} once each", "each"),
    ('each: "{{label}}: {{figure}} {{units}}"', "spec-shape", "{units} is not one of them", "each"),
    ('each: "{{label}}, over {{figure}} {{unit}}"\n      unit: {unit}', "print-unchecked", "'over' is typed in", "each"),
    ('each: "{{label}}, {{figure}} {{unit}}"\n      unit: "500 launches"', "print-unchecked",
     "unit of figure 'busiest': '5' is typed in", "unit"),
    ('each: "{{label}}, {{figure}} {{unit}}"\n      unit: {{one: launch}}', "required", "figure 'busiest' needs 'other'",
     "unit"),
])
def test_the_words_of_each_part_are_checked_when_the_spec_is_read(tmp_path, change, check, words, key):
    from infopipe.spec.model import load_spec

    _project(tmp_path)
    path = tmp_path / "projects" / "lifeboats" / "spec.yaml"
    text = path.read_text()
    old = 'each: "{label}, {figure} {unit}"\n      unit: {one: launch, other: launches}'
    assert text.count(old) == 2
    path.write_text(text.replace(old, change.format(unit="{one: launch, other: launches}"), 1))
    if check is None:
        load_spec(path)
        return
    with pytest.raises(InfopipeError) as caught:
        load_spec(path)
    [problem] = [p for p in caught.value.problems if p.check == check]
    busiest = text.splitlines().index("  - id: busiest") + 1
    assert words in problem.message and problem.line == busiest + {"each": 7, "unit": 8}[key]


def test_a_label_for_a_value_the_column_never_holds_is_refused(tmp_path):
    from infopipe.spec.model import load_spec

    _project(tmp_path)
    path = tmp_path / "projects" / "lifeboats" / "spec.yaml"
    path.write_text(path.read_text().replace("        video: {one: video", "        vidoe: {one: video"))
    with pytest.raises(InfopipeError) as caught:
        load_spec(path)
    [problem] = [p for p in caught.value.problems if p.check == "filter-value"]  # and video lacks a label
    assert problem.check == "filter-value" and "name 'vidoe', not one of the values allowed" in problem.message


def test_a_run_records_each_part_as_the_page_says_it(tmp_path, capsys):
    counts = _project(tmp_path)
    assert main(["--root", str(tmp_path), "run", "lifeboats"]) == 0, capsys.readouterr().err
    run = tmp_path / "outputs" / "lifeboats" / "latest"
    figures = {f["id"]: f for f in json.loads((run / "figures.json").read_text())["figures"]}
    (station, n), = counts.most_common(1)
    assert figures["busiest_1"]["statement"] == f"Tower, {n} launches"
    assert figures["outputs_video"]["statement"] == "1 video"
    # a list is said as the page says it, never as its unprinted total
    assert figures["busiest"]["statement"] == f"the busiest station: Tower, {n} launches"
    assert not figures["busiest"]["statement"].startswith(figures["busiest"]["printed"])
    import pandas as pd

    whole = pd.read_parquet(run / figures["busiest"]["lineage"]["path"])
    assert Counter(whole["station"]).most_common(1) == [(station, n)]
    assert main(["--root", str(tmp_path), "explain", "lifeboats", "busiest_1"]) == 0
    assert f"recount from all {n} records: {n}" in capsys.readouterr().out


def test_the_scaffold_says_its_ranking_label_first(tmp_path):
    import csv

    from infopipe.present.page import page_for
    from infopipe.run.pipeline import Paths, validate_only
    from infopipe.spec.model import load_spec

    assert main(["--root", str(tmp_path), "new", "demo"]) == 0
    spec = load_spec(tmp_path / "projects" / "demo" / "spec.yaml")
    with open(tmp_path / "data" / "raw" / "demo" / "events.csv", encoding="utf-8") as f:
        rows = [r for r in csv.DictReader(f) if spec.period.start.isoformat() <= r["held_on"] <= spec.period.end.isoformat()]
    (first, n), (second, m) = Counter(r["kind"] for r in rows).most_common(2)
    results = validate_only(Paths.for_project("demo", tmp_path))["figures"]
    panel = next(p for p in page_for(spec, results).panels if p.id == "top_kinds")
    assert panel.sentence_text() == (f"the most frequent kinds: {first.title()}s, {n} events and "
                                     f"{second.title()}s, {m} events")


@pytest.mark.parametrize("printed, value, locale, form", [
    ("1", 1, "en_GB", "one"), ("0", 0, "en_GB", "other"), ("2", 2, "en_GB", "other"),
    ("1.0", 1.0, "en_GB", "other"),  # visible decimals: "1.0 launches"
    ("1,000", 1000, "en_GB", "other"), ("more than 1", 2, "en_GB", "one"),  # the printed number decides
    ("a dozen", 12, "en_GB", "other"), ("one", 1, "en_GB", "one"),  # spelt out: the value decides
    ("0", 0, "fr_FR", "one"), ("1,5", 1.5, "fr_FR", "one"), ("2", 2, "fr_FR", "other"),
    ("1\u202f000", 1000, "fr_FR", "other"),
])
def test_the_plural_form_is_the_one_the_printed_number_takes_in_the_locale(printed, value, locale, form):
    from infopipe.concepts.words import in_form, plural_form

    assert plural_form(printed, value, locale) == form
    assert in_form({"one": "launch", "other": "launches"}, printed, value, locale) == (
        "launch" if form == "one" else "launches")
    assert in_form({"other": "launches"}, printed, value, locale) == "launches"  # a form not given: other


@pytest.mark.parametrize("lead", ["the top 3 stations:", "more than", "les trois stations :"])
def test_a_number_or_hedge_typed_in_a_lead_is_refused_on_its_line(tmp_path, lead):
    from infopipe.spec.model import load_spec

    _project(tmp_path, words={**(FR if lead.startswith("les") else EN), "lead": lead})
    path = tmp_path / "projects" / "lifeboats" / "spec.yaml"
    with pytest.raises(InfopipeError) as caught:
        load_spec(path)
    [problem] = caught.value.problems
    assert problem.check == "print-unchecked" and problem.message.startswith("lead of figure 'busiest'")
    assert problem.line == path.read_text().splitlines().index(f'    lead: "{lead}"') + 1


@settings(max_examples=25, deadline=None)
@given(counts=st.dictionaries(st.sampled_from(["TWR", "BRG", "PIE", "SEA"]), st.integers(1, 9), min_size=1))
def test_any_counts_are_ranked_as_the_data_says_or_refused_as_a_tie(tmp_path_factory, counts):
    """Whatever the counts: the page lists the top three in the data's order, each with its count
    and the plural form it takes, or, where the data does not decide a place, refuses."""
    root = tmp_path_factory.mktemp("any")
    _project(root, launches=counts)
    ordered = sorted(counts.values(), reverse=True)
    tied = len(ordered) > 1 and ordered[0] == ordered[1] or len(ordered) > 3 and ordered[2] == ordered[3]
    if tied:
        with pytest.raises(InfopipeError) as caught:
            _validated(root)
        assert {p.check for p in caught.value.problems} == {"ranking-tied"}
        return
    _, panels = _validated(root)
    names = {"TWR": "Tower", "BRG": "Bridge", "PIE": "Pier", "SEA": "SEA"}  # SEA has no label: as stored
    # a tie inside the list (each count printed beside its name) goes by the value, as stored
    said = [f"{names[s]}, {n} {'launch' if n == 1 else 'launches'}"
            for s, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:3]]
    listed = said[0] if len(said) == 1 else ", ".join(said[:-1]) + " and " + said[-1]
    assert panels["top_three"].sentence_text() == f"the busiest stations: {listed}"
