"""The bad-input corpus: every case must fail with a message naming file, row/line, column and check,
leave raw files and `latest` untouched, and add a failed entry to the provenance log.

Each case is a folder under tests/bad_inputs/: raw/ holds files that replace the shipped ones,
expect.yaml says what to edit in the spec, what to generate, and what must happen.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from xml.etree import ElementTree
import shutil
from pathlib import Path

import pytest
import yaml

from conftest import PROJECT, latest_target, tree_hashes
from infopipe.cli import main

CASES = Path(__file__).parent / "bad_inputs"


def load_case(name: str) -> dict:
    return yaml.safe_load((CASES / name / "expect.yaml").read_text(encoding="utf-8"))


def apply_case(name: str, root: Path) -> None:
    case = load_case(name)
    raw_dir = root / "data" / "raw" / PROJECT
    for source in sorted((CASES / name / "raw").glob("*")) if (CASES / name / "raw").is_dir() else []:
        shutil.copyfile(source, raw_dir / source.name)
    spec = root / "projects" / PROJECT / "spec.yaml"
    for edit in case.get("spec_edits", []):
        text = spec.read_text(encoding="utf-8")
        assert edit["old"] in text, f"case {name}: spec edit no longer applies"
        spec.write_text(text.replace(edit["old"], edit["new"], 1), encoding="utf-8")
    generate = case.get("generate", {})
    if "big_file" in generate:
        big = generate["big_file"]
        line = "EV-X,Title,2019-01-01,,day,Place,https://example.org/\n".encode()
        with open(raw_dir / big["file"], "ab") as handle:
            for _ in range(big["megabytes"] * (1 << 20) // len(line) + 1):
                handle.write(line)
    if "symlink" in generate:
        (raw_dir / generate["symlink"]["file"]).unlink()
        (raw_dir / generate["symlink"]["file"]).symlink_to(generate["symlink"]["target"])
    for kind, make in (("loop", lambda p: p.symlink_to(p.name)), ("folder", Path.mkdir),
                       ("fifo", lambda p: os.mkfifo(p))):  # things in the raw folder that are not files
        if kind in generate:
            target = raw_dir / generate[kind]["file"]
            target.unlink()
            make(target)
    if "delete" in generate:
        (raw_dir / generate["delete"]["file"]).unlink()
    if "workbook" in generate:  # made here from a shipped CSV, with the odd cells a program would save
        from workbooks import csv_rows, write_workbook

        book = generate["workbook"]
        write_workbook(raw_dir / book["file"], csv_rows(raw_dir / book["from"]), book["sheet"],
                       before=tuple(book.get("before", ())), title=book.get("title"), cells=book.get("cells"))
    out = root / "outputs" / PROJECT
    if "log" in generate:  # the project's log as damage or an edit leaves it
        damage, log = generate["log"], out / "provenance.jsonl"
        data = log.read_bytes()
        lines = data.splitlines(keepends=True)
        if "cut" in damage:
            data = data[: -damage["cut"]]
        if "byte" in damage:
            at = sum(map(len, lines[: damage["byte"]["line"] - 1])) + damage["byte"]["at"]
            data = data[:at] + bytes.fromhex(damage["byte"]["value"]) + data[at + 1:]
        if "edit" in damage:
            number = damage["edit"]["line"]
            lines[number - 1] = lines[number - 1].replace(damage["edit"]["old"].encode(), damage["edit"]["new"].encode())
            data = b"".join(lines)
        log.write_bytes(data)
    if "latest" in generate:  # `latest` replaced by a copy of its run, or by a file of notes
        target = (out / "latest").resolve()
        (out / "latest").unlink()
        if generate["latest"] == "folder":
            shutil.copytree(target, out / "latest")
        else:
            (out / "latest").write_text("notes kept here by hand\n", encoding="utf-8")


def log_entries(root: Path) -> list[dict]:
    path = root / "outputs" / PROJECT / "provenance.jsonl"
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def log_bytes(root: Path) -> bytes:
    return (root / "outputs" / PROJECT / "provenance.jsonl").read_bytes()


def check_verify(root: Path, expect: dict, capsys, run: str | None = None) -> None:
    """`verify` of `latest` (or of `run`) afterwards: exit 0 (the last good run is whole), or, for a
    damaged log, exit 1 (never 2) naming the damaged line."""
    capsys.readouterr()
    code = main(["--root", str(root), "verify", PROJECT, *([run] if run else [])])
    out = capsys.readouterr().out
    assert code == expect.get("verify", 0), out
    if "verify_line" in expect:
        assert f"line {expect['verify_line']}: [{expect['check']}]" in out, out


@pytest.mark.parametrize("name", sorted(p.name for p in CASES.iterdir() if p.is_dir()))
def test_bad_input_case(name: str, good_copy: Path, capsys):
    expect = load_case(name)["expect"]
    apply_case(name, good_copy)
    raw_before = tree_hashes(good_copy / "data" / "raw" / PROJECT)
    latest_path = good_copy / "outputs" / PROJECT / "latest"
    latest_before = latest_target(good_copy) if latest_path.is_symlink() else tree_hashes(latest_path) \
        if latest_path.is_dir() else latest_path.read_bytes()
    log_before = log_bytes(good_copy)
    logged = expect.get("logged", True)
    entries_before = len(log_entries(good_copy)) if logged else None

    if expect["exit"] == 0:  # accepted inputs: the whole run succeeds and prints what it says
        assert main(["--root", str(good_copy), "run", PROJECT]) == 0, capsys.readouterr().err
        folder = (good_copy / "outputs" / PROJECT / "latest").resolve()
        figures = {f["id"]: f for f in json.loads((folder / "figures.json").read_text())["figures"]}
        assert {k: figures[k]["printed"] for k in expect["figures"]} == expect["figures"]
        for fid, fields in expect.get("figure_fields", {}).items():
            assert {k: figures[fid][k] for k in fields} == fields
        for name, text in expect.get("svg_label", {}).items():  # drawn as text, never as markup
            root = ElementTree.fromstring((folder / name).read_text(encoding="utf-8"))
            label = next(e for e in root.iter() if e.get("class") == "label")
            assert " ".join("".join(t.itertext()) for t in label) == text
            assert not [e for e in root.iter() if e.tag.endswith("script")]
        assert tree_hashes(good_copy / "data" / "raw" / PROJECT) == raw_before
        check_verify(good_copy, expect, capsys)
        return

    code = main(["--root", str(good_copy), "run", PROJECT])
    err = capsys.readouterr().err
    assert code == expect["exit"]
    first, *problems = err.strip().splitlines()
    assert first.startswith(f"{expect['step']} failed:"), first
    match = [p for p in problems if f"[{expect['check']}]" in p and expect["file"] in p]
    assert match, f"no [{expect['check']}] problem about {expect['file']} in:\n{err}"
    for key, word in (("row", "row"), ("line", "line")):
        if key in expect:
            assert any(f"{word} {expect[key]}," in p or f"{word} {expect[key]}:" in p for p in match), err
    if "column" in expect:
        assert any(f"column '{expect['column']}'" in p for p in match), err

    assert tree_hashes(good_copy / "data" / "raw" / PROJECT) == raw_before
    if latest_path.is_symlink():
        assert latest_target(good_copy) == latest_before
    else:  # a folder or file in its place is kept as it was
        assert (tree_hashes(latest_path) if latest_path.is_dir() else latest_path.read_bytes()) == latest_before
    if logged:
        entries = log_entries(good_copy)
        assert len(entries) == entries_before + 1
        assert entries[-1]["status"] == "failed" and entries[-1]["failed_step"] == expect["step"]
    else:  # a damaged log is never extended
        assert log_bytes(good_copy) == log_before
    assert not list((good_copy / "outputs" / PROJECT / "runs").glob(".staging-*"))
    runs = [p.name for p in (good_copy / "outputs" / PROJECT / "runs").iterdir()]
    check_verify(good_copy, expect, capsys, None if latest_path.is_symlink() else runs[0])


PEAK = ("import resource, sys\nfrom infopipe.cli import main\ncode = main(sys.argv[1:])\n"
        "print('PEAK', resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, code)")


def peak_kib(root: Path) -> tuple[int, int, str]:
    """`infopipe validate` in a process of its own: its peak memory (KiB), exit code and stderr."""
    done = subprocess.run([sys.executable, "-c", PEAK, "--root", str(root), "validate", PROJECT],
                          capture_output=True, text=True, timeout=300)
    _, peak, code = done.stdout.strip().splitlines()[-1].split()
    return int(peak), int(code), done.stderr


def test_big_file_is_refused_without_reading_it(good_copy: Path, project_root: Path):
    """The 200 MB case costs no more memory than validating the good data: each in its own process,
    so the peak is that process's own, whatever ran before."""
    baseline, code, _ = peak_kib(project_root)
    assert code == 0
    apply_case("25-big-file", good_copy)
    peak, code, err = peak_kib(good_copy)
    assert code == 1 and "file-too-large" in err
    assert (good_copy / "data" / "raw" / PROJECT / "events.csv").stat().st_size > 200_000_000
    assert peak < baseline + 50 * 1024, (peak, baseline)


def test_all_failures_of_a_dataset_are_listed_together(good_copy: Path, capsys):
    raw = good_copy / "data" / "raw" / PROJECT / "funding_awards.csv"
    text = raw.read_text(encoding="utf-8")
    raw.write_text(text.replace(",ESRC,SHEF,", ",NESTA,SHEF,").replace(",1000000,yes,", ",-1,maybe,"),
                   encoding="utf-8")
    assert main(["--root", str(good_copy), "validate", PROJECT]) == 1
    err = capsys.readouterr().err
    assert err.startswith("validate failed: 3 problems in")
    for check in ("[reference]", "[min]", "[type:boolean]"):
        assert check in err
