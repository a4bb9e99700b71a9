"""Figures: a counting rule's value, printed as the report prints it, compared with the report."""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace

from .errors import InfopipeError, Problem
from .rules import apply_rule
from .spec import PLACEHOLDER, FigureSpec, Spec
from .validate import ValidTable


@dataclass(frozen=True)
class FigureResult:
    id: str
    label: str
    value: int | float
    printed: str
    published: str
    matches: bool
    accepted_difference: str | None
    note: str | None
    panel: bool
    dataset: str
    rule: dict
    rule_in_words: str
    explanation: str
    record_ids: tuple[str, ...]

    def to_dict(self) -> dict:
        out = asdict(self)
        out["record_ids"] = list(self.record_ids)
        return out


def format_value(value: int | float, fmt: dict) -> str:
    """Print a value as the report does: 15, £1m, £250k, 50+."""
    style = fmt.get("style", "integer")
    if style == "integer":
        return f"{round(value):d}"
    if style == "plus":
        return f"{round(value):d}+"
    if style == "money_short":
        currency = fmt.get("currency", "£")
        for size, suffix in ((1_000_000_000, "bn"), (1_000_000, "m"), (1_000, "k")):
            if abs(value) >= size:
                return f"{currency}{_trim(value / size)}{suffix}"
        return f"{currency}{_trim(value)}"
    raise ValueError(f"unknown format style {style}")


def _trim(number: float) -> str:
    """One decimal at most, and none when it is zero: 1.0 -> '1', 1.25 -> '1.2'."""
    text = f"{number:.1f}"
    return text[:-2] if text.endswith(".0") else text


def compute_figure(fig: FigureSpec, tables: dict[str, ValidTable]) -> FigureResult:
    table = tables[fig.rule.dataset]
    result = apply_rule(fig.rule, table.frame, table.spec.primary_key)
    printed = format_value(result.value, fig.format)
    return FigureResult(
        id=fig.id, label=fig.label, value=result.value, printed=printed, published=fig.published,
        matches=printed == fig.published, accepted_difference=fig.accepted_difference,
        note=fig.note, panel=fig.panel, dataset=fig.rule.dataset, rule=fig.rule.to_dict(),
        rule_in_words=fig.rule.describe(), explanation=fig.explanation, record_ids=result.record_ids,
    )


def compute_figures(spec: Spec, tables: dict[str, ValidTable]) -> list[FigureResult]:
    """Every figure of the spec, with notes filled in from other figures' printed text."""
    results = [compute_figure(fig, tables) for fig in spec.figures]
    printed = {r.id: r.printed for r in results}
    return [replace(r, note=PLACEHOLDER.sub(lambda m: printed[m.group(1)], r.note)) if r.note else r
            for r in results]


def check_published(spec: Spec, results: list[FigureResult]) -> None:
    """Fail when a printed figure differs from the report, unless the spec accepts the difference."""
    problems = [
        Problem(str(spec.path), "published-mismatch", f"figure '{r.id}' computes to {r.printed!r} "
                f"but the report printed {r.published!r}; fix the data, or add accepted_difference "
                "with the reason", line=spec.figure(r.id).line, value=r.printed)
        for r in results if not r.matches and not r.accepted_difference
    ]
    if problems:
        raise InfopipeError("check_published", problems)
