"""The spec reference in the README, generated from the registries so the docs cannot drift from
the code: `python -m infopipe.spec.reference` prints it; a test checks the README holds it."""

from __future__ import annotations

from infopipe.concepts.claims import KINDS, WORD_SCALES, parse_claim
from infopipe.concepts.formats import FORMATS
from infopipe.concepts.panels import KINDS as PANELS
from infopipe.concepts.rules import FILTERS, RULES

BEGIN, END = "<!-- reference:begin -->", "<!-- reference:end -->"
CLAIM_EXAMPLES = {
    "more_than": ["more than 40", "over 20", "above 7"], "at_least": ["at least a dozen", "50+", "50 or more"],
    "fewer_than": ["fewer than 10", "under 5"], "up_to": ["up to 200", "at most 3"],
    "approximate": ["around 200", "about 1,000"], "nearly": ["nearly £3 million", "almost 100"],
    "range": ["between 20 and 30", "20–30"], "scale": ["dozens", "hundreds"],
    "exact": ["15", "£1m", "1,200", "45%", "a dozen"],
}


def _column_types() -> list[tuple[str, str]]:
    from infopipe.concepts.columns import TYPES

    return [(t.name, f"typed as `{t.dtype}` (what each accepts: see Input rules)") for t in TYPES.values()]


def reference() -> str:
    lines = [BEGIN, "", "#### Claims: what `published` may say", "",
             "| kind | examples | the value must be |", "|---|---|---|"]
    for name, kind in KINDS.items():
        examples = CLAIM_EXAMPLES[name]
        meaning = (kind.meaning.split(": ", 1)[-1].replace("the value must be ", "")
                   .replace("{low}", "X").replace("{high}", "Y"))
        shown = "; ".join(f"`{e}` ({_interval(e)})" for e in examples)
        lines.append(f"| {name} | {shown} | {meaning} |")
    lines += ["", "Word scales (each defined once, in `claims.py`):", "", "| word | covers |", "|---|---|"]
    lines += [f"| {word} | {low:,} to {high:,} |" for word, (low, high) in WORD_SCALES.items()]
    lines += ["", "#### Print placeholders: what `print` may use", "", "| placeholder | prints |", "|---|---|"]
    for fmt in FORMATS.values():
        arg = f":{fmt.argument.upper()}" if fmt.argument else ""
        lines.append(f"| `{{{fmt.name}{arg}}}` | {fmt.words} |")
    lines += ["", "#### Rule types", "", "| type | counts | column types |", "|---|---|---|"]
    for rule in RULES.values():
        words = rule.words(_Example(rule.name))
        types = ", ".join(sorted(rule.column_types)) if rule.column_types else "no column"
        lines.append(f"| `{rule.name}` | {words} | {types} |")
    lines += ["", "#### Filters (`where`, `part`, `via.where`)", "", "| op | value | keeps rows where |",
              "|---|---|---|"]
    for op in FILTERS.values():
        sample = {"scalar": "x", "list": ("x", "y"), "pair": ("a", "b"), "flag": True, "text": "abc"}[op.shape]
        lines.append(f"| `{op.name}` | {op.shape} | {op.words('column', sample)} |")
    lines += ["", "#### Panel kinds (`kind`; when not written, the first that fits, in this order)", "",
              "| kind | draws | reads |", "|---|---|---|"]
    lines += [f"| `{k.name}` | {k.words} | {', '.join(f'`{key}`' for key in k.keys)} |" for k in PANELS.values()]
    lines += ["", "#### Column types", "", "| type | accepts |", "|---|---|"]
    lines += [f"| `{name}` | {words} |" for name, words in _column_types()]
    return "\n".join(lines + ["", END])


def _interval(text: str) -> str:
    c = parse_claim(text)
    low = "−∞" if c.low == float("-inf") else _num(c.low)
    high = "∞" if c.high == float("inf") else _num(c.high)
    left, right = "(" if c.low_open else "[", ")" if c.high_open else "]"
    return f"{left}{low}, {high}{right}"


def _num(x: float) -> str:
    x = round(x, 6)
    return f"{x:,.0f}" if float(x).is_integer() else f"{x:,.1f}"


class _Example:
    """A stand-in rule for the words of each rule type."""

    def __init__(self, kind: str):
        self.type, self.dataset, self.column = kind, "events", "amount"
        from infopipe.spec.model import Filter

        self.part = (Filter(column="kind", op="equals", value="workshop"),)


if __name__ == "__main__":
    print(reference())
