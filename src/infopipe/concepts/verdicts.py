"""What a reviewer should make of a figure: one verdict per figure, decided here and only here.

The terminal's table, figures.json and figures.csv, `explain`, the review page and the Prefect
artifacts all show this verdict, so they can never disagree (a figure without a claim is not a
"differs" in one place and a red "no" in another). Each kind carries its words, whether it needs a
reviewer's attention, and its level (`ok`, `note`, `fail`, `none`) for colouring.

Also here: `shown`, a value at its meaningful precision (579.9999999999999 -> 580), for every
place a value is shown to a person; the exact value stays where it is recorded.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Mapping

SIGNIFICANT = 12  # a float sum's last bits are noise; 12 significant digits keep every real one


@dataclass(frozen=True)
class VerdictKind:
    name: str
    level: str  # "ok" | "note" | "fail" | "none"
    words: str  # short, for tables
    meaning: str  # a sentence, for the review page's key

    @property
    def attention(self) -> bool:
        return self.level in ("note", "fail")


KINDS = {k.name: k for k in (
    VerdictKind("holds", "ok", "holds", "the value satisfies the report's claim and the page prints the report's text"),
    VerdictKind("reworded", "note", "holds, printed differently",
                "the value satisfies the report's claim; the page prints it in other words"),
    VerdictKind("accepted", "note", "accepted difference",
                "the value does not satisfy the report's claim, and the spec gives the reason"),
    VerdictKind("fails", "fail", "does not hold", "the value does not satisfy the report's claim"),
    VerdictKind("untrue", "fail", "printed text untrue", "the text the page would print is not true of the value"),
    VerdictKind("no_claim", "none", "no claim", "the report printed nothing to check this figure against"),
)}


@dataclass(frozen=True)
class Verdict:
    kind: VerdictKind
    reason: str = ""  # the accepted difference's reason

    @property
    def name(self) -> str:
        return self.kind.name

    @property
    def attention(self) -> bool:
        return self.kind.attention

    @property
    def level(self) -> str:
        return self.kind.level

    @property
    def words(self) -> str:
        return self.kind.words


def _get(figure: Any, key: str):
    return figure.get(key) if isinstance(figure, Mapping) else getattr(figure, key, None)


def verdict(figure: Any) -> Verdict:
    """The one decision: a figure dict (figures.json, a log entry's record) or a FigureResult."""
    published, holds = _get(figure, "published"), _get(figure, "claim_holds")
    accepted = _get(figure, "accepted_difference")
    if published is None:
        return Verdict(KINDS["no_claim"])
    broken = holds is False or _get(figure, "printed_holds") is False
    if broken and accepted:
        return Verdict(KINDS["accepted"], accepted)
    if holds is False:
        return Verdict(KINDS["fails"])
    if _get(figure, "printed_holds") is False:
        return Verdict(KINDS["untrue"])
    if _get(figure, "printed") != published:
        return Verdict(KINDS["reworded"])
    return Verdict(KINDS["holds"])


def summary(figures: list) -> str:
    """One line for the top of a page or an artifact: how many figures, and which need a look."""
    verdicts = [(str(_get(f, "id")), verdict(f)) for f in figures]
    look = [(fid, v) for fid, v in verdicts if v.attention]
    failing = [fid for fid, v in look if v.level == "fail"]
    checked = sum(1 for _, v in verdicts if v.name != "no_claim")
    head = (f"{len(verdicts)} figures, {checked} checked against the report: "
            + ("every claim holds" if not failing else f"{len(failing)} do not hold ({', '.join(failing)})"))
    notes = [f"{fid} ({v.words})" for fid, v in look if v.level == "note"]
    return head + (f"; to read: {', '.join(notes)}" if notes else "")


def shown(value: Any) -> str:
    """A value as a person should read it: whole numbers with separators (2,031), other floats at
    their meaningful precision (579.9999999999999 -> 580, 671.7 stays 671.7), text as it is."""
    if isinstance(value, bool) or value is None:
        return "" if value is None else str(value)
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        if not math.isfinite(value):
            return str(value)
        return f"{value:,.{SIGNIFICANT}g}" if abs(value) < 1e15 else f"{value:.{SIGNIFICANT}g}"
    return str(value)


def meaningful(value: Any) -> Any:
    """The value as a JSON number at its meaningful precision (580.0 -> 580, 0.1 + 0.2 -> 0.3)."""
    if isinstance(value, float) and not isinstance(value, bool) and math.isfinite(value):
        rounded = float(f"{value:.{SIGNIFICANT}g}")
        return int(rounded) if rounded.is_integer() and abs(rounded) < 2**53 else rounded
    return value


def stale_differences(spec_file: str, figures: list) -> list["Problem"]:
    """Warnings for accepted differences that no longer differ: said by `validate` and `run`,
    marked on the review page; the run goes on. Figures as computed or as figures.json holds them,
    so that a run that redid nothing says them without loading the compute step (pandas)."""
    from infopipe.errors import Problem

    out = []
    for f in figures:
        get = f.get if isinstance(f, Mapping) else (lambda name, f=f: getattr(f, name, None))
        if get("difference_stale"):
            out.append(Problem(spec_file, "accepted-difference-stale", f"figure '{get('id')}' now computes to "
                               f"{shown(get('value'))}, which satisfies what the report printed, {get('published')!r}: "
                               f"the accepted difference ({get('accepted_difference')!r}) no longer applies; "
                               "remove accepted_difference", line=get("line") or None))
    return out
