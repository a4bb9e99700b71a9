"""A static review page per run: the page image, every figure against the report, the records
behind each figure with their sources, validation results and file hashes. No scripts, no network;
all text from data or spec is escaped.
"""

from __future__ import annotations

from html import escape
from pathlib import Path

STYLE = """
body{font-family:'Liberation Sans',Arial,sans-serif;margin:2rem auto;max-width:1100px;color:#2b2118;padding:0 1rem}
img{max-width:100%;border:1px solid #ddd}
table{border-collapse:collapse;width:100%;margin:.5rem 0 1.5rem}
th,td{border:1px solid #ddd;padding:.3rem .5rem;text-align:left;vertical-align:top;font-size:.9rem}
th{background:#f4ece0} code{font-size:.8rem;word-break:break-all}
.ok{color:#2f6b45;font-weight:bold} .bad{color:#b6244f;font-weight:bold}
details{margin:.3rem 0 1rem} summary{cursor:pointer;font-weight:bold}
"""


def e(value) -> str:
    return escape("" if value is None else str(value), quote=True)


def source_cell(source) -> str:
    """A link for a URL source, plain text for a reconstructed one."""
    text = "" if source is None else str(source)
    if text.startswith(("http://", "https://")) and " " not in text:
        return f'<a href="{e(text)}">{e(text)}</a>'
    return e(text)


def records_table(rows: list[dict]) -> str:
    if not rows:
        return "<p>No records.</p>"
    columns = list(rows[0])
    head = "".join(f"<th>{e(c)}</th>" for c in columns)
    body = "".join(
        "<tr>" + "".join(f"<td>{source_cell(r[c]) if c == 'source' else e(r[c])}</td>" for c in columns) + "</tr>"
        for r in rows)
    return f"<table><tr>{head}</tr>{body}</table>"


def render_report(record: dict, evidence: dict[str, list[dict]], outputs: list[dict]) -> str:
    figures = record["figures"]
    figure_rows = "".join(
        f"<tr><td>{e(f['label'])}</td><td><b>{e(f['printed'])}</b></td><td>{e(f['published'])}</td>"
        f"<td class=\"{'ok' if f['matches'] else 'bad'}\">{'yes' if f['matches'] else 'no'}"
        f"{' (accepted: ' + e(f['accepted_difference']) + ')' if f.get('accepted_difference') else ''}</td>"
        f"<td>{e(f['explanation'])}<br><small>Rule: {e(f['rule_in_words'])}</small></td></tr>"
        for f in figures)
    details = "".join(
        f"<details><summary>{e(f['printed'])} {e(f['label'])}: {len(f['record_ids'])} records from "
        f"{e(f['input']['path'])}</summary>{records_table(evidence.get(f['id'], []))}</details>"
        for f in figures)
    validation = "".join(
        f"<tr><td>{e(v['dataset'])}</td><td>{e(v['file'])}</td><td>{e(v['rows'])}</td>"
        f"<td class=\"ok\">{e(v['status'])}</td><td>{e('; '.join(v['checks']))}</td></tr>"
        for v in record["validation"])
    inputs = "".join(f"<tr><td>{e(i['path'])}</td><td>{e(i['rows'])}</td><td>{e(i['bytes'])}</td>"
                     f"<td><code>{e(i['sha256'])}</code></td></tr>" for i in record["inputs"])
    outs = "".join(f"<tr><td>{e(o['path'])}</td><td>{e(o['bytes'])}</td><td><code>{e(o['sha256'])}</code></td></tr>"
                   for o in outputs)
    code = record["code"]
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; img-src 'self'; style-src 'unsafe-inline'">
<title>Review: {e(record['project'])} run {e(record['run_id'])}</title><style>{STYLE}</style></head>
<body>
<h1>Review of run {e(record['run_id'])}</h1>
<p>Project <b>{e(record['project'])}</b>; started {e(record['started_at'])}; code {e(code.get('commit'))}
{'(uncommitted changes)' if code.get('dirty') else ''}; spec <code>{e(record['spec']['sha256'])}</code>.</p>
<img src="page.png" alt="The rebuilt infographic page">
<h2>Figures</h2>
<table><tr><th>figure</th><th>computed</th><th>published</th><th>match</th><th>counting decision</th></tr>{figure_rows}</table>
<h2>Records behind each figure</h2>{details}
<h2>Validation</h2>
<table><tr><th>dataset</th><th>file</th><th>rows</th><th>result</th><th>checks</th></tr>{validation}</table>
<h2>Input files</h2>
<table><tr><th>file</th><th>rows</th><th>bytes</th><th>SHA-256</th></tr>{inputs}</table>
<h2>Output files</h2>
<table><tr><th>file</th><th>bytes</th><th>SHA-256</th></tr>{outs}</table>
</body></html>
"""


def write_report(folder: Path, record: dict, evidence: dict[str, list[dict]], outputs: list[dict]) -> Path:
    path = folder / "report.html"
    path.write_text(render_report(record, evidence, outputs), encoding="utf-8")
    return path
