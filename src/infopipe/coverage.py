"""Coverage: is every number the published page printed accounted for by the spec?

Each number phrase on the page (concepts/phrases.py, which reads with the claim reader) is matched
to what the spec says:
- a **figure** whose published claim (or printed text) it is, read the same ("over 2,000" is
  "over 2000"), with the figure's words beside it: its label, or the words around its place in a
  sentence or note, among the content words of the phrase's clause. Held or not: the phrase, read as
  a claim, is true of the figure's computed value.
- the **spec's own words**: a number in the title, subtitle, credit, a label, note or sentence, with
  the same words on both sides (the rebuilt page prints it as written; nothing is computed).
- else an **exclusion** of the spec's `report` (page furniture, with its reason),
- else it is **not covered**, and `infopipe coverage` exits 1.
Why by hand: no tool matches a printed page to the claims that rebuilt it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterable

from infopipe.concepts.claims import DEFAULT_TOLERANCE, Claim
from infopipe.concepts.phrases import STOPWORDS, Phrase, content_words, find_phrases, read_phrase
from infopipe.data.published import PageText
from infopipe.errors import Problem
from infopipe.spec.model import FIGURE_REF, Exclusion, Spec

AROUND = 45  # characters of context shown on each side of a number


@dataclass(frozen=True)
class Statement:
    """Something the spec says that a printed number can be."""

    by: str  # "figure 'partners'", "the subtitle", "the sentence of figure 'partners'"
    claims: tuple[Claim, ...]
    tolerance: float = DEFAULT_TOLERANCE
    figure: str | None = None  # a figure: matched on its words, checked against its value
    words: frozenset[str] = frozenset()
    value: float | None = None
    accepted_difference: str | None = None
    left: str | None = None  # the spec's own words: the neighbours the number has there
    right: str | None = None


def statements(spec: Spec, figures: Iterable[dict]) -> list[Statement]:
    """The figures (each breakdown part too) and every number in the spec's own words."""
    words = _figure_words(spec)
    out = []
    for f in figures:
        tolerance = _tolerance(spec, f)
        texts = dict.fromkeys(t for t in (f.get("published"), f.get("printed")) if t is not None)
        claims = tuple(c for c in (read_phrase(t, tolerance) for t in texts) if c is not None)
        if claims:
            out.append(Statement(f"figure '{f['id']}'", claims, tolerance, f["id"],
                                 frozenset(words.get(f["id"], set()) | set(content_words(f.get("label") or ""))),
                                 f.get("value"), f.get("accepted_difference")))
    for where, text in _spec_texts(spec):
        for p in find_phrases(FIGURE_REF.sub(" # ", text)):
            out.append(Statement(where, (p.claim,), left=p.left, right=p.right))
    return out


def _tolerance(spec: Spec, figure: dict) -> float:
    fid = figure.get("parent") or figure["id"]
    return next((f.tolerance for f in spec.figures if f.id == fid), DEFAULT_TOLERANCE)


def _figure_words(spec: Spec) -> dict[str, set[str]]:
    """Each figure's words: its id, and the words next to its place in any sentence or note."""
    out: dict[str, set[str]] = {}
    for fig in spec.figures:
        out.setdefault(fig.id, set()).update(content_words(fig.id.replace("_", " ").replace("-", " ")))
        for text in (fig.sentence, fig.note):
            for m in FIGURE_REF.finditer(text or ""):
                near = content_words(FIGURE_REF.sub(" ", text[:m.start()]))[-3:] + \
                    content_words(FIGURE_REF.sub(" ", text[m.end():]))[:3]
                out.setdefault(m.group(1), set()).update(near)
    return out


def _spec_texts(spec: Spec) -> list[tuple[str, str]]:
    texts = [("the title", spec.title), ("the subtitle", spec.subtitle), ("the credit", spec.credit)]
    for fig in spec.figures:
        for key in ("label", "note", "sentence"):
            texts.append((f"the {key} of figure '{fig.id}'", getattr(fig, key) or ""))
        for part in fig.breakdown.parts if fig.breakdown else ():
            texts.append((f"a part label of figure '{fig.id}'", part.label))
    return [(where, text) for where, text in texts if text]


# ---------------------------------------------------------------- matching

def _same(phrase: Phrase, claim: Claim, tolerance: float) -> Claim | None:
    """The phrase read as the statement reads its claim, when it means the same interval."""
    read = phrase.claim if tolerance == DEFAULT_TOLERANCE else read_phrase(phrase.text, tolerance)
    if read is not None and (read.low, read.high, read.low_open, read.high_open) == \
            (claim.low, claim.high, claim.low_open, claim.high_open):
        return read
    return None


def cover(phrase: Phrase, said: list[Statement]) -> tuple[Statement, bool, tuple[str, ...]] | None:
    """The statement a printed number is, whether it holds, and the other figures that say it as
    well (a breakdown's part and a sentence printing the same "6 workshops"); None when the spec
    does not say it."""
    best, best_score, holds, also = None, 0, False, []
    for st in (s for s in said if s.figure):
        read = next((r for r in (_same(phrase, c, st.tolerance) for c in st.claims) if r), None)
        if read is None:
            continue
        score = 2 * len(st.words.intersection(phrase.after)) + len(st.words.intersection(phrase.before))
        if score > best_score:
            best, best_score, also = st, score, []
            holds = isinstance(st.value, (int, float)) and read.holds(st.value)
        elif score == best_score and best is not None and read.holds(st.value) == holds:
            also.append(st.figure)
    if best is not None:
        return best, holds, tuple(also)
    for st in (s for s in said if not s.figure):
        if any(_same(phrase, c, st.tolerance) for c in st.claims) and _neighbours_agree(phrase, st):
            return st, True, ()
    return None


def _neighbours_agree(phrase: Phrase, st: Statement) -> bool:
    """The spec's own words: the same word on each side where the spec text has one (its edges match
    anything), and at least one side to go by."""
    sides = [(st.left, phrase.left), (st.right, phrase.right)]
    known = [(ours, theirs) for ours, theirs in sides if ours is not None]
    return bool(known) and all(ours == theirs for ours, theirs in known)


def _excluded_spans(page: PageText, exclusions: tuple[Exclusion, ...]) -> list[tuple[int, int, int]]:
    """(start, end, exclusion index) for every stretch of the page an exclusion names."""
    spans = []
    compact, where = _compact(page.text)
    for i, ex in enumerate(exclusions):
        if ex.pages and page.number not in ex.pages:
            continue
        for text in ex.text:
            needle = _compact(text)[0]
            at = compact.find(needle)
            while needle and at >= 0:
                spans.append((where[at], where[at + len(needle) - 1] + 1, i))
                at = compact.find(needle, at + 1)
        if ex.pattern is not None:
            for offset, line in page.lines():
                spans += [(offset + m.start(), offset + m.end(), i) for m in re.finditer(ex.pattern, line)]
    return spans


def _compact(text: str) -> tuple[str, list[int]]:
    """The text without white space, and where each kept character was."""
    kept = [(i, ch) for i, ch in enumerate(text) if not ch.isspace()]
    return "".join(ch for _, ch in kept), [i for i, _ in kept]


def _context(text: str, start: int, end: int) -> str:
    left = " ".join(text[max(0, start - AROUND):start].split()[1 if start > AROUND else 0:])
    right = " ".join(text[end:end + AROUND].split()[: -1 if end + AROUND < len(text) else None])
    spaced = lambda s, side: (" " if s and side else "")  # noqa: E731
    return (("…" if start > AROUND else "") + left + spaced(left, text[start - 1:start].isspace())
            + text[start:end] + spaced(right, text[end:end + 1].isspace()) + right
            + ("…" if end + AROUND < len(text) else ""))


def check_coverage(spec: Spec, figures: list[dict], pages: list[PageText], report: dict,
                   exclusions: tuple[Exclusion, ...] | None = None) -> dict:
    """Every number phrase on the pages, each covered, not holding, excluded or not covered.
    `exclusions`: the spec's report.exclude unless given (none for a page that is not the report)."""
    said = statements(spec, figures)
    if exclusions is None:
        exclusions = spec.report.exclude if spec.report else ()
    result: dict = {**report, "pages": [p.number for p in pages], "covered": [], "not_holding": [],
                    "not_covered": [], "excluded": []}
    used: set[int] = set()
    found: set[str] = set()
    for page in pages:
        spans = _excluded_spans(page, exclusions)
        for phrase in find_phrases(page.text):
            item = {"text": phrase.text, "claim": phrase.claim.kind, **page.position(phrase.start, phrase.end),
                    "context": _context(page.text, phrase.start, phrase.end)}
            match = cover(phrase, said)
            if match is not None:
                st, holds, also = match
                item["by"] = st.by + "".join(f", figure '{f}'" for f in also)
                if st.figure:
                    found.update((st.figure, *also))
                    item.update(figure=st.figure, value=st.value, holds=holds,
                                **({"also": list(also)} if also else {}),
                                **({"accepted_difference": st.accepted_difference} if st.accepted_difference else {}))
                result["covered" if holds else "not_holding"].append(item)
                continue
            exclusion = next((i for s, e, i in spans if s <= phrase.start and phrase.end <= e), None)
            if exclusion is not None:
                used.add(exclusion)
                result["excluded"].append({**item, "reason": exclusions[exclusion].reason})
            else:
                result["not_covered"].append(item)
    result["exclusions_unused"] = [" / ".join(ex.text) or ex.pattern for i, ex in enumerate(exclusions) if i not in used]
    published = {f["id"] for f in figures if f.get("published") is not None}
    result["figures_not_found"] = [s.figure for s in said if s.figure in published - found]
    result["ok"] = not result["not_covered"]
    return result


def uncovered_problems(result: dict) -> list[Problem]:
    """One problem per number printed but neither covered nor excluded, located on its page."""
    return [Problem(result["file"], "not-covered", f"page {i['page']}, line {i['line']}: {i['text']!r} is "
                    "printed there but is not a figure, the spec's own words or excluded (" + i["context"]
                    + "); add the figure, or exclude it under report.exclude with the reason")
            for i in result["not_covered"]]


def coverage_text(result: dict) -> str:
    """The three lists and the exclusions, for the terminal."""
    pages = ", ".join(str(p) for p in result["pages"])
    total = sum(len(result[k]) for k in ("covered", "not_holding", "not_covered", "excluded"))
    lines = [f"Coverage of {result['file']} (pages {pages}): {total} printed numbers"]

    def where(i: dict) -> str:
        return f"p{i['page']} l{i['line']:<3} {i['text']!r:<14}"

    sections = [
        ("covered and holding", "covered", lambda i: f"{i['by']}" + (f" = {_show(i['value'])}" if i.get("figure") else "")),
        ("covered, not holding", "not_holding", lambda i: f"{i['by']} = {_show(i['value'])}"
         + (f" (accepted: {i['accepted_difference']})" if i.get("accepted_difference") else " (NOT ACCEPTED)")),
        ("NOT COVERED", "not_covered", lambda i: f"at x={i['x']}, y={i['y']}"),
    ]
    for title, key, says in sections:
        lines.append(f"  {title} ({len(result[key])}):")
        lines += [f"    {where(i)} {says(i)}  | {i['context']}" for i in result[key]]
    lines.append(f"  excluded ({len(result['excluded'])}):")
    reasons: dict[str, list[dict]] = {}
    for item in result["excluded"]:
        reasons.setdefault(item["reason"], []).append(item)
    for reason, items in reasons.items():
        lines.append(f"    {reason} ({len(items)}): " + "; ".join(f"p{i['page']} l{i['line']} {i['text']!r}" for i in items))
    for unused in result["exclusions_unused"]:
        lines.append(f"  note: the exclusion {unused!r} matched nothing on these pages")
    if result["figures_not_found"]:
        lines.append("  note: not printed on these pages: " + ", ".join(result["figures_not_found"]))
    count = len(result["not_covered"])
    lines.append("OK: every printed number is covered or excluded" if result["ok"] else
                 f"FAILED: {count} printed number{'s are' if count != 1 else ' is'} not covered: add the "
                 "figure to the spec, or exclude it under report.exclude with the reason")
    return "\n".join(lines)


def _show(value) -> str:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return f"{value:,}" if isinstance(value, (int, float)) else str(value)


# ---------------------------------------------------------------- a spec drafted from the page

TO_WRITE = "TO WRITE"


def draft_figures(pages: list[PageText]) -> str:
    """The `figures:` block of a spec drafted from printed pages: one figure per number phrase, its
    published text as printed, its label the words printed after it, its rule left TO WRITE (the
    spec refuses to load until it is written, naming each figure and line)."""
    import json

    out, ids = ["figures:"], set()
    for page in pages:
        for p in find_phrases(page.text):
            label = _label_after(page.text, p.end) or _label_before(page.text, p.start)
            fid = _unique_id("_".join([w for w in WORD.findall(label) if w.lower() not in STOPWORDS][:3]), ids)
            where = page.position(p.start, p.end)
            out += [f"  # Page {page.number}, line {where['line']}: {_context(page.text, p.start, p.end)}",
                    f"  - id: {fid}",
                    f"    label: {json.dumps(label or fid, ensure_ascii=False)}",
                    f"    published: {json.dumps(p.text, ensure_ascii=False)}",
                    f"    rule: {TO_WRITE}   # how to count it from the data, e.g. {{type: count_rows, dataset: events}}",
                    f"    explanation: {json.dumps(TO_WRITE + ': the counting decision, in words')}",
                    ""]
    if len(out) == 1:
        out.append("  []  # no printed number found on these pages")
    return "\n".join(out) + "\n"


# Where a label stops: a clause ends, a list item or the next number begins; a line that wraps goes on.
CLAUSE = re.compile(r"[.,;:()•]|\s[–-]\s|\n(?=[–•-])|(?<!\w)[£$€]?\d")
WORD = re.compile(r"(?<![\w£$€])[^\W\d_][\w'’/-]*")


def _label_after(text: str, end: int) -> str:
    """The words printed right after a number, up to the end of its clause (six at most)."""
    return " ".join(WORD.findall(CLAUSE.split(text[end:end + 120])[0])[:6])


def _label_before(text: str, start: int) -> str:
    return " ".join(WORD.findall(CLAUSE.split(text[max(0, start - 120):start])[-1])[-6:])


def _unique_id(words: str, taken: set[str]) -> str:
    base = "_".join(re.findall(r"[a-z0-9]+", words.lower()))[:50].strip("_") or "figure"
    fid, n = base, 2
    while fid in taken:
        fid, n = f"{base}_{n}", n + 1
    taken.add(fid)
    return fid
