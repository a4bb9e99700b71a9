"""The spec reference in the README, generated from the registries so the docs cannot drift from
the code: `python -m infopipe.spec.reference` prints it; a test checks the README holds it."""

from __future__ import annotations

from infopipe.concepts.claims import BOUNDS, KINDS, parse_claim
from infopipe.concepts.column_types import TYPES as COLUMN_TYPES
from infopipe.concepts.constraints import CONSTRAINTS
from infopipe.concepts.dates import LEADS, parse_date_claim
from infopipe.concepts.words import LANGUAGES, spell
from infopipe.concepts.formats import FORMATS
from infopipe.concepts.panels import KINDS as PANELS
from infopipe.concepts.rules import FILTERS, RULES

BEGIN, END = "<!-- reference:begin -->", "<!-- reference:end -->"
CLAIM_EXAMPLES = {
    "more_than": ["more than 40", "over 20", "above 7"], "at_least": ["at least a dozen", "50+", "50 or more"],
    "fewer_than": ["fewer than 10", "under 5"], "up_to": ["up to 200", "at most 3"],
    "approximate": ["around 200", "approx. 1,000", "~50"], "nearly": ["nearly £3 million", "almost 100"],
    "range": ["between 20 and 30", "20–30"], "scale": ["dozens", "hundreds"],
    "exact": ["15", "£1m", "1,200", "45%", "a dozen", "three languages", "a third", "one in four"],
}

DATE_EXAMPLES = ["30 June 2024", "as of 30 June 2024", "May 2021", "since 2015", "4–9 May 2021", "2019–2023"]


def reference() -> str:
    lines = [BEGIN, "", "#### Claims: what `published` may say", "",
             "| kind | examples | the value must be |", "|---|---|---|"]
    for name, kind in KINDS.items():
        examples = CLAIM_EXAMPLES[name]
        meaning = (kind.meaning.split(": ", 1)[-1].replace("the value must be ", "")
                   .replace("{low}", "X").replace("{high}", "Y"))
        shown = "; ".join(f"`{e}` ({_interval(e)})" for e in examples)
        lines.append(f"| {name} | {shown} | {meaning} |")
    lines += _claim_words()
    lines += ["", "Dates: `published` of a `min` or `max` on a date column, or of a `date_range`, is read as "
              "a date (`dates.py`): it covers every day it names, and prints again from the data at the "
              "same precision.", "", "| printed | the value must be | prints again as |", "|---|---|---|"]
    for text in DATE_EXAMPLES:
        claim = parse_date_claim(text, "en_GB")
        lines.append(f"| `{text}` | {claim.words().split(': ', 1)[1].replace('the value must fall ', '')} "
                     f"| `{claim.print_template}` |")
    lines += ["", "Words that may stand before a date: " + "; ".join(
        f"{_NAMES[code]}: " + ", ".join(f"`{w}`" for w in words) for code, words in LEADS.items()) + "."]
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
    lines += ["", "#### Breakdown keys (`figures[].breakdown`)", "", "| key | means |", "|---|---|"]
    lines += [f"| `{name}` | {field.description} |" for name, field in _breakdown_fields()]
    lines += ["", "#### Column types (`type` of a column; more in Input rules)", "",
              "| type | accepts | typed as | rules, filters and column keys it takes |", "|---|---|---|---|"]
    lines += [f"| `{t.name}` | {t.accepts} | `{t.dtype}` | {_takes(t.name)} |" for t in COLUMN_TYPES.values()]
    return "\n".join(lines + ["", END])


def _takes(column_type: str) -> str:
    """The rule types, filter ops and constraints a column type takes beyond those any column takes:
    what its traits (numeric, ordered, textual) give it."""
    rules = [r.name for r in RULES.values() if r.column_types is not None and column_type in r.column_types
             and r.column_types != COLUMN_TYPES.keys()]
    ops = [f.name for f in FILTERS.values() if f.types is not None and column_type in f.types]
    keys = [c.name for c in CONSTRAINTS.values() if c.types is not None and column_type in c.types]
    groups = [(what, ", ".join(f"`{n}`" for n in names)) for what, names in
              (("rules", rules), ("filters", ops), ("column keys", keys)) if names]
    return "; ".join(f"{what} {names}" for what, names in groups) or "—"


def _breakdown_fields():
    from infopipe.spec.model import Breakdown

    return Breakdown.model_fields.items()


def _claim_words() -> list[str]:
    """Every phrase, word scale, number word and fraction each language accepts (`words.py`)."""
    langs = list(LANGUAGES.values())
    head = "| | " + " | ".join(f"{_NAMES[lang.code]} (`locale: {_LOCALES[lang.code]}`)" for lang in langs) + " |"
    lines = ["", "Claim words, a table per language (`words.py`; the spec's `locale` picks one). "
             "The number goes where `N` is:", "", head, "|---|" + "---|" * len(langs)]
    for kind in BOUNDS:
        cells = [", ".join(f"`{p}N`" if p == "~" else f"`{p} N`" for p in lang.before.get(kind, ()))
                 + "".join(f", `N {p}`" if p[0].isalpha() else f", `N{p}`" for p in lang.after.get(kind, ()))
                 for lang in langs]
        lines.append(f"| {kind} | " + " | ".join(cells) + " |")
    lines.append("| range | " + " | ".join(
        f"`{lang.between[0]} N and M`".replace(" and ", f" {lang.between[1]} ") + ", "
        + ", ".join(f"`N {w} M`" if w[0].isalpha() else f"`N{w}M`" for w in lang.range_words) for lang in langs) + " |")
    lines.append("| scale (covers) | " + " | ".join(
        ", ".join(f"{w} ({lo:,}–{hi:,})" for w, (lo, hi) in lang.scales.items()) for lang in langs) + " |")
    lines.append("| number words | " + " | ".join(
        f"{spell(0, lang.code)} to {spell(lang.words_up_to, lang.code)} (num2words); "
        + ", ".join(f"{w} ({v:,.0f})" for w, v in lang.named.items()) + f"; {lang.dozen[2].format(n='N')}"
        for lang in langs) + " |")
    lines.append("| fractions (of a share, ±0.5 points) | " + " | ".join(
        ", ".join(lang.fractions) + f"; `N {lang.one_in} M`" for lang in langs) + " |")
    lines.append("| units | " + " | ".join(", ".join(f"`{u}`" for u in lang.units) for lang in langs) + " |")
    lines.append("| words dropped at the end | " + " | ".join(
        ", ".join(f"`{w}`" for w in lang.trailing) + "; what is counted (`three languages`)" for lang in langs) + " |")
    return lines


_NAMES = {"en": "English", "fr": "French"}
_LOCALES = {"en": "en_GB", "fr": "fr_FR"}


def _interval(text: str) -> str:
    c = parse_claim(text, nouns=True)
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
