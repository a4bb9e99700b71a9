"""The reviewer's commands: verify a run, explain one figure, diff two runs, and check that every
number the published report printed is covered by the spec.

They read only the run folder, the project's log and (for verify) the original raw files, so a
reviewer can check a published run without trusting the code that made it.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path

import pandas as pd

from infopipe.errors import InfopipeError, Problem
from infopipe.files import is_pattern, matching_files, sha256_file, sha256_files
from infopipe.run.pipeline import Paths, run
from infopipe.run.provenance import entry_hash, find_entry, read_log, verify_chain
from infopipe.run.publish import latest_run
from infopipe.concepts.rules import plain_value, recount
from infopipe.concepts.verdicts import shown, verdict
from infopipe.spec.model import load_spec


def resolve_run(paths: Paths, run_id: str | None) -> Path:
    """A run folder from its id, or 'latest' (the default), or 'previous' (the run before latest)."""
    folder = latest_run(paths.project_out) if run_id in (None, "latest", "previous") else paths.project_out / "runs" / run_id
    if run_id == "previous" and folder is not None and (folder / "provenance.json").is_file():
        before = load_record(folder).get("previous_run")
        folder = paths.project_out / "runs" / before if before else None
    if folder is None or not (folder / "provenance.json").is_file():
        raise InfopipeError("review", [Problem(str(paths.project_out), "no-run",
                            f"no complete run {run_id or 'latest'} here; runs: "
                            f"{', '.join(list_runs(paths)) or 'none'}")])
    return folder


def list_runs(paths: Paths) -> list[str]:
    runs = paths.project_out / "runs"
    return sorted(p.name for p in runs.iterdir() if not p.name.startswith(".")) if runs.is_dir() else []


def load_record(folder: Path) -> dict:
    return json.loads((folder / "provenance.json").read_text(encoding="utf-8"))


def verify(paths: Paths, run_id: str | None = None, rerun: bool = False) -> tuple[Path, list[Problem]]:
    """Is the run intact: the log chain, its log entry, and every file of the run folder (its own
    copies of spec and inputs included). An empty list means it is. Whether the raw data changed
    since is a separate question: `changed_since`."""
    problems = verify_chain(paths.log_file)
    folder = resolve_run(paths, run_id)
    record = load_record(folder)
    entry = find_entry(paths.log_file, record["run_id"])
    if entry is None:
        problems.append(Problem(str(paths.log_file), "log-missing", f"no log entry for run {record['run_id']}"))
    else:
        for name, key in (("provenance.json", "provenance_sha256"), ("ro-crate-metadata.json", "crate_sha256")):
            problems += _hash_problems(folder / name, entry[key])
        problems += _entry_mismatches(paths, entry, record)
    for item in record["outputs"]:
        problems += _hash_problems(folder / item["path"], item["sha256"])
    listed = {item["path"] for item in record["outputs"]} | {"provenance.json", "ro-crate-metadata.json"}
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        if str(path.relative_to(folder)) not in listed:
            problems.append(Problem(str(path), "unlisted-file", "in the run folder but not in its record"))
    if rerun:
        problems += rerun_problems(paths, folder, record)
    return folder, problems


def changed_since(paths: Paths, folder: Path) -> list[str]:
    """Raw files and the spec as they are now against what the run used: news, not a failure."""
    record = load_record(folder)
    notes = []
    for item in [*record["inputs"], {**record["spec"], "location": record["spec"]["path"]}]:
        if "database" in item:
            notes += _database_changed(item)
            continue
        if is_pattern(item["location"]):
            notes += _files_changed(paths, item)
            continue
        path = paths.located(item["location"])
        what = "the published report " if item.get("kind") == "published report" else ""
        if not path.is_file():
            notes.append(f"{what}{item['location']}: gone since this run")
        elif sha256_file(path) != item["sha256"]:
            notes.append(f"{what}{item['location']}: " + ("reissued since this run (its bytes changed; the run "
                         "keeps its own copy)" if what else "changed since this run (the run keeps its own copy)"))
    return notes


def _files_changed(paths: Paths, item: dict) -> list[str]:
    """A folder of Parquet files: the files matching the pattern now, against the run's one hash."""
    raw_dir = paths.located(item["location"][: -len(item["file"])] or ".")
    try:
        now = sha256_files(matching_files(raw_dir, item["file"], item["location"], item["dataset"]))
    except InfopipeError:
        return [f"{item['location']}: gone since this run"]
    return [] if now == item["sha256"] else [f"{item['location']}: changed since this run (the run keeps its own copy)"]


def _database_changed(item: dict) -> list[str]:
    """A database input: run its recorded query again and compare the rows' content hash."""
    from infopipe.data.database import rows_hash_now

    try:
        now = rows_hash_now(item["database"])
    except InfopipeError as err:
        return [f"{item['path']}: cannot be read now to compare ({err.problems[0].message})"]
    if now != item["sha256"]:
        return [f"{item['path']}: the database's rows changed since this run (the run recorded the query "
                f"and the rows' hash {item['sha256'][:12]}, not the rows)"]
    return []


def _entry_mismatches(paths: Paths, entry: dict, record: dict) -> list[Problem]:
    """The log entry must say what the run folder says (catches an edit to the newest entry)."""
    logged = {"inputs_digest": entry.get("inputs_digest"), "spec sha256": entry.get("spec", {}).get("sha256"),
              **{f"figure {k}": v for k, v in (entry.get("figures") or {}).items()}}
    recorded = {"inputs_digest": record["inputs_digest"], "spec sha256": record["spec"]["sha256"],
                **{f"figure {f['id']}": f["printed"] for f in record["figures"]}}
    return [Problem(str(paths.log_file), "log-record-mismatch", f"the log entry for run "
                    f"{record['run_id']} says {name} = {logged.get(name)!r}, the run's record says "
                    f"{recorded.get(name)!r}")
            for name in sorted(logged.keys() | recorded.keys()) if logged.get(name) != recorded.get(name)]


def chain_head(paths: Paths) -> str:
    """The hash of the newest log entry: keep it somewhere else to prove the log was not rewritten."""
    lines = read_log(paths.log_file)
    return entry_hash(lines[-1]) if lines else "(empty log)"


def _hash_problems(path: Path, expected: str, what: str = "file") -> list[Problem]:
    if not path.is_file():
        return [Problem(str(path), "missing", f"{what} recorded with SHA-256 {expected} is gone")]
    found = sha256_file(path)
    if found != expected:
        return [Problem(str(path), "hash-mismatch", f"{what} changed: expected SHA-256 {expected}, "
                        f"found {found}")]
    return []


def rerun_problems(paths: Paths, folder: Path, record: dict) -> list[Problem]:
    """Rebuild the run in a temp folder from its own copies of spec and inputs; compare bytes."""
    with tempfile.TemporaryDirectory(prefix="infopipe-rerun-") as tmp:
        root = Path(tmp)
        (root / "projects" / record["project"]).mkdir(parents=True)
        shutil.copyfile(folder / "spec.yaml", root / "projects" / record["project"] / "spec.yaml")
        raw = root / "raw" / Path(record["raw_dir"]).name
        shutil.copytree(folder / "inputs", raw)
        report = next((raw / i["path"] for i in record["inputs"] if i.get("kind") == "published report"), None)
        rebuilt = run(Paths.for_project(record["project"], root, raw, report=report))
        fresh = {o["path"]: o["sha256"] for o in load_record(rebuilt)["outputs"]}
        return [Problem(str(folder / o["path"]), "not-reproduced", f"rebuilt from the recorded inputs, "
                        f"expected SHA-256 {o['sha256']}, rebuilt {fresh.get(o['path'], 'nothing')}")
                for o in record["outputs"] if o["reproducible"] and fresh.get(o["path"]) != o["sha256"]]


def lineage_frame(folder: Path, figure: dict) -> pd.DataFrame:
    """The records behind a figure, from the run's own lineage file, checked against its hash."""
    path = folder / figure["lineage"]["path"]
    problems = _hash_problems(path, figure["lineage"]["sha256"], "lineage file")
    if problems:
        raise InfopipeError("explain", problems)
    return pd.read_parquet(path)


def figure_rule(spec, figure_id: str, entry: dict | None = None):
    """The rule a figure (a breakdown part, a chart's mark) was counted by, compiled."""
    from infopipe.spec.compile import compile_spec

    if entry and entry.get("mark") and entry.get("parent"):
        from infopipe.marks import mark_rule

        return mark_rule(spec, compile_spec(spec).figure(entry["parent"]), entry["mark"]["filters"])
    return compile_spec(spec).figure(figure_id).rule


def explain(paths: Paths, figure_id: str, run_id: str | None = None, limit: int = 50, offset: int = 0) -> dict:
    """One figure: printed text, claim, rule, counting decision, a recount from all its records,
    and one page of those records."""
    folder = resolve_run(paths, run_id)
    record = load_record(folder)
    figure = next((f for f in record["figures"] if f["id"] == figure_id), None)
    if figure is None:
        raise InfopipeError("explain", [Problem(figure_id, "unknown-figure", "no such figure; known: "
                            + ", ".join(f["id"] for f in record["figures"]))])
    spec = load_spec(folder / "spec.yaml")
    rule = figure_rule(spec, figure_id, figure)
    frame = lineage_frame(folder, figure)
    counted = recount(rule, frame)
    share = None
    if (figure.get("mark") or {}).get("share") is not None:  # a share's percent, from the chart's records
        from infopipe.marks import recount_share

        whole = next(f for f in record["figures"] if f["id"] == figure["parent"])
        share = recount_share(rule, frame, figure_rule(spec, whole["id"]), lineage_frame(folder, whole))
    page = frame.iloc[max(offset, 0): max(offset, 0) + max(limit, 0)]
    read = set(rule.reads)
    judged = verdict(figure)
    return {
        "run_id": record["run_id"], "figure": figure_id, "label": figure["label"],
        "statement": figure.get("statement") or f"{figure['printed']} {figure['label']}".strip(),
        "printed": figure["printed"], "value": figure["value"], "value_shown": shown(figure["value"]),
        "published": figure["published"],
        "matches": figure["matches"], "claim_kind": figure.get("claim_kind"),
        "claim_meaning": figure.get("claim_meaning"), "claim_holds": figure.get("claim_holds"),
        "verdict": judged.name, "verdict_words": judged.words,
        "accepted_difference": figure.get("accepted_difference"),
        "rule": figure["rule"], "rule_in_words": figure["rule_in_words"],
        "explanation": figure["explanation"], "record_count": len(frame),
        "recount": plain_value(counted), "share_recount": share, "share": (figure.get("mark") or {}).get("share"),
        "offset": offset, "limit": limit,
        "records": [{c: plain_value(v) for c, v in row.items()} for row in page.to_dict("records")],
        "input": figure["input"], "lineage": figure["lineage"],
        "inputs": [{k: i[k] for k in ("path", "sha256")} for i in record["inputs"]
                   if i.get("dataset", figure["dataset"]) in read],
    }


WIDEST = 60  # a records column wider than this is cut, except the source, which is the evidence


def explain_text(info: dict) -> str:
    claim = (f"the report printed {info['published']!r}" + (f", {info['claim_meaning']}" if info.get("claim_meaning") else "")
             if info.get("published") is not None else "the report did not print this value")
    lines = [
        f"{info['figure']}: {info['statement']}   (run {info['run_id']})",
        f"  printed {info['printed']!r}; value {info['value_shown']}; {claim}",
        f"  verdict: {info['verdict_words']}"
        + (f" ({info['accepted_difference']})" if info.get("accepted_difference") else "")
        + f"; printed text {'the same as the report' if info['matches'] else 'differs from the report'}"
        if info.get("published") is not None else f"  verdict: {info['verdict_words']}",
        f"  rule: {info['rule_in_words']}",
        f"        {json.dumps(info['rule'], ensure_ascii=False)}",
        f"  counting decision: {info['explanation']}",
        f"  recount from all {info['record_count']} records: {shown(info['recount'])}"
        + (f" ({info['share_recount']:.4g}% of the chart's whole; recorded {info['share']:.4g}%)"
           if info.get("share") is not None else ""),
        f"  records {info['offset'] + 1}-{info['offset'] + len(info['records'])} of {info['record_count']}"
        f" (--offset, --limit):",
    ]
    if info["records"]:
        columns = list(info["records"][0])
        cells = [{c: "" if r[c] is None else str(r[c]) for c in columns} for r in info["records"]]
        widths = {c: max(len(c), *(len(r[c]) for r in cells)) for c in columns}
        widths = {c: w if c == "source" else min(WIDEST, w) for c, w in widths.items()}
        lines.append("  " + "  ".join(c.ljust(widths[c]) for c in columns).rstrip())
        for r in cells:
            lines.append("  " + "  ".join(r[c][: widths[c]].ljust(widths[c]) for c in columns).rstrip())
    lines += ["", "  input files it read:"]
    lines += [f"    {i['path']}  sha256 {i['sha256']}" for i in info["inputs"]]
    return "\n".join(lines)


def diff(paths: Paths, run_a: str, run_b: str) -> dict:
    """Which figures changed between two runs, the records behind each change, and the files,
    all read from the two runs' own lineage files."""
    folders = [resolve_run(paths, r) for r in (run_a, run_b)]
    a, b = (load_record(f) for f in folders)
    files_a = {i["path"]: i["sha256"] for i in a["inputs"]}
    files_b = {i["path"]: i["sha256"] for i in b["inputs"]}
    changed_files = sorted(p for p in files_a.keys() | files_b.keys() if files_a.get(p) != files_b.get(p))
    reports = [next((i for i in r["inputs"] if i.get("kind") == "published report"), None) for r in (a, b)]
    reissued = None
    if all(reports) and reports[0]["sha256"] != reports[1]["sha256"]:
        reissued = {"file": reports[1]["location"], "before": reports[0]["sha256"], "after": reports[1]["sha256"]}
    figures_b = {f["id"]: f for f in b["figures"]}
    changes = []
    for fa in a["figures"]:
        fb = figures_b.get(fa["id"])
        if fb is None:
            changes.append({"figure": fa["id"], "removed": True})
            continue
        left, right = lineage_frame(folders[0], fa), lineage_frame(folders[1], fb)
        key = left.columns[0]  # lineage files start with the dataset's primary key
        left, right = left.set_index(key).astype(str), right.set_index(key).astype(str)
        ids_a, ids_b = set(left.index), set(right.index)
        both = sorted(ids_a & ids_b)
        columns = list(dict.fromkeys([*left.columns, *right.columns]))
        left, right = left.reindex(columns=columns), right.reindex(columns=columns)
        old, new = left.loc[both].map(_cell), right.loc[both].map(_cell)
        differs = old.ne(new) & ~(old.isna() & new.isna())
        fields = {str(i): {c: [old.at[i, c], new.at[i, c]] for c in columns if differs.at[i, c]}
                  for i in differs.index[differs.any(axis=1)]}  # only the edited records are looked at
        value_changed = fa.get("value_exact", fa.get("value")) != fb.get("value_exact", fb.get("value"))
        if fa["printed"] != fb["printed"] or value_changed or ids_a != ids_b or fields:
            changes.append({"figure": fa["id"], "before": fa["printed"], "after": fb["printed"],
                            "value_before": fa.get("value"), "value_after": fb.get("value"),
                            "records_added": sorted(ids_b - ids_a),
                            "records_removed": sorted(ids_a - ids_b), "records_changed": sorted(fields),
                            "fields_changed": fields})
    added = [f["id"] for f in b["figures"] if f["id"] not in {fa["id"] for fa in a["figures"]}]
    changes += [{"figure": fid, "added": True} for fid in added]
    return {"run_a": a["run_id"], "run_b": b["run_id"], "input_files_changed": changed_files,
            "report_reissued": reissued, "figures_changed": changes}


def _cell(value) -> str | None:
    """A lineage cell as text, every kind of missing value as None (astype(str) spells them three ways)."""
    return None if pd.isna(value) or value in ("<NA>", "nan", "NaT", "None") else str(value)


def diff_text(result: dict) -> str:
    """The diff for a person: each changed figure with its printed text and value, before and after,
    the records added and removed, and each edited record's fields (old -> new)."""
    lines = [f"{result['run_a']} -> {result['run_b']}",
             "input files changed: " + (", ".join(result["input_files_changed"]) or "none")]
    if result.get("report_reissued"):
        r = result["report_reissued"]
        lines.append(f"the published report was reissued: {r['file']} SHA-256 {r['before'][:12]}… -> {r['after'][:12]}…")
    for c in result["figures_changed"]:
        if c.get("removed") or c.get("added"):
            lines.append(f"  {c['figure']}: {'removed' if c.get('removed') else 'added'}")
            continue
        printed = (f"printed {c['before']!r} -> {c['after']!r}" if c["before"] != c["after"]
                   else f"printed {c['after']!r} (unchanged)")
        value = (f"value {shown(c['value_before'])} -> {shown(c['value_after'])}"
                 if c["value_before"] != c["value_after"] else f"value {shown(c['value_after'])}")
        lines.append(f"  {c['figure']}: {printed}; {value}")
        if c["records_added"]:
            lines.append(f"    records added: {', '.join(c['records_added'])}")
        if c["records_removed"]:
            lines.append(f"    records removed: {', '.join(c['records_removed'])}")
        for rid, edits in c["fields_changed"].items():
            said = "; ".join(f"{col} {old!r} -> {new!r}" for col, (old, new) in edits.items())
            lines.append(f"    record {rid} changed: {said}")
    if not result["figures_changed"]:
        lines.append("no figure changed")
    return "\n".join(lines)


def report_pdf(paths: Paths, spec, pdf: Path | None) -> tuple[Path, str]:
    """The published report to read: the one given, else the spec's report.file; and how to name it."""
    if pdf is not None:
        return Path(pdf), str(pdf)
    path = paths.report_file(spec)
    if path is None:
        raise InfopipeError("coverage", [Problem(str(spec.path), "no-report", "name the published report: "
                            "--pdf REPORT.pdf, or report.file in the spec")])
    if not path.is_file():
        where = f"; download it from {spec.report.url}" if spec.report.url else ""
        raise InfopipeError("coverage", [Problem(spec.report.file, "report-missing", "the published report "
                            f"that the spec names (report.file) is not there{where}")])
    return path, spec.report.file


def coverage(paths: Paths, pdf: Path | None = None, pages: tuple[int, ...] = ()) -> dict:
    """Every number the published pages printed, matched to the figures computed now from the spec
    and raw data (nothing is written), the spec's own words and, for the spec's own report, its
    exclusions (a page infopipe drew must be covered without any)."""
    from infopipe.compute import compute_figures
    from infopipe.coverage import check_coverage
    from infopipe.data.ingest import read_raw_tables
    from infopipe.data.published import read_pages
    from infopipe.data.validate import validate_tables

    spec = load_spec(paths.spec_file)
    path, shown = report_pdf(paths, spec, pdf)
    pages = pages or (spec.report.pages if spec.report else ())
    if not pages:
        raise InfopipeError("coverage", [Problem(str(spec.path), "no-pages", "name the pages rebuilt: "
                            "--pages N[-M], or report.pages in the spec")])
    read = read_pages(path, pages, shown)
    figures = compute_figures(spec, validate_tables(spec, read_raw_tables(spec, paths.raw_dir)))
    plain = [{**r.to_dict(), "value": plain_value(r.value)} for r in figures]
    own = paths.report_file(spec)
    the_report = own is not None and own.is_file() and path.resolve() == own.resolve()
    return check_coverage(spec, plain, read, {"file": shown, "sha256": sha256_file(path)},
                          None if the_report else ())  # the spec's exclusions are for its report only
