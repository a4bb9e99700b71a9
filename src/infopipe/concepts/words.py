"""The words a report's language uses around its numbers, one table per language.

A claim ("more than 40", "plus de 40") and a printed text are read and written with these words:
the hedges before or after a number for each claim kind, word scales ("dozens", "des dizaines"),
number words, fractions ("a third", "one in four"), money units ("£1.2m", "1,2 M€"). Numbers
spelt out come from num2words and separators from Babel (the locale's CLDR data); only what
neither library knows (which words hedge a claim, what a word scale covers) is written here.
Adding a language is one more `Language` entry, tested at its boundaries like English.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

DEFAULT_LOCALE = "en_GB"


@dataclass(frozen=True)
class Language:
    """One language's claim words; each phrase is lower case, as claims are read lower-cased."""

    code: str  # "en": the language part of a locale (en_GB, en_US -> en)
    before: dict[str, tuple[str, ...]]  # claim kind -> phrases written before the number
    after: dict[str, tuple[str, ...]]  # claim kind -> phrases written after it ("50+", "50 or more")
    between: tuple[str, str]  # a range written "between 20 and 30"
    range_words: tuple[str, ...]  # a range written "20 to 30", "20-30"
    scales: dict[str, tuple[float, float]]  # word scale -> the counts it covers
    scale_preference: tuple[str, ...]  # where scales overlap, the more usual word is printed
    named: dict[str, float]  # words for one number beyond num2words's: "a dozen", "half a dozen"
    dozen: tuple[str, str, str]  # "half a dozen", "a dozen", "{n} dozen": how dozens are printed
    fractions: dict[str, float]  # "a third" -> 33.33 (percent)
    one_in: str  # "one in four": the word between the two numbers
    units: dict[str, float]  # money and count units: "m" -> 1e6
    unit_print: tuple[tuple[float, str], ...]  # the units printed, largest first
    ordinal_suffixes: tuple[str, ...]  # "1st", "2nd": read as the number
    up: tuple[str, ...] = ()  # a change upwards: "up 196%", "↑ 196%" (the first is printed)
    down: tuple[str, ...] = ()  # a change downwards: "down 12%"
    unchanged: str = ""  # a change of nothing at the printed precision
    trailing: tuple[str, ...] = ()  # words dropped from a claim's end: "dozens of" -> "dozens"
    money_input: str = ""  # RE2 pattern of an amount of money in the raw data, when not UK style
    money_words: str = ""  # what a money cell must look like, said when one does not
    words_up_to: int = 100  # {words} spells numbers up to this, and prints figures above it

    def phrases(self, kind: str) -> tuple[str, ...]:
        """Every accepted phrase of a claim kind, before and after the number (for the docs)."""
        return self.before.get(kind, ()) + self.after.get(kind, ())


ENGLISH = Language(
    code="en",
    before={
        "more_than": ("more than", "over", "above", "upwards of", "well over", "just over", "in excess of"),
        "at_least": ("at least", "no fewer than", "no less than", "a minimum of"),
        "fewer_than": ("fewer than", "less than", "under", "below", "well under"),
        "up_to": ("up to", "at most", "no more than", "a maximum of"),
        "approximate": ("around", "about", "approximately", "approx.", "approx", "roughly", "some",
                        "circa", "ca.", "c.", "est.", "estimated", "an estimated", "~"),
        "nearly": ("nearly", "almost", "just under", "close to", "not quite"),
    },
    after={"at_least": ("+", "or more"), "approximate": ("or so",)},
    between=("between", "and"),
    range_words=("to", "-"),
    scales={
        "dozens": (24, 143),                      # two dozen up to just under a gross
        "scores": (40, 399),                      # two score up to twenty score
        "hundreds": (200, 1_999),
        "thousands": (2_000, 1_999_999),
        "tens of thousands": (20_000, 99_999),
        "hundreds of thousands": (200_000, 999_999),
        "millions": (2_000_000, 1_999_999_999),
    },
    scale_preference=("millions", "hundreds of thousands", "tens of thousands", "thousands", "hundreds",
                      "dozens", "scores"),
    named={"half a dozen": 6, "a dozen": 12, "a score": 20, "a hundred": 100, "a thousand": 1_000,
           "a million": 1_000_000},
    dozen=("half a dozen", "a dozen", "{n} dozen"),
    fractions={"half": 50.0, "a half": 50.0, "a third": 100 / 3, "two thirds": 200 / 3, "a quarter": 25.0,
               "three quarters": 75.0, "a fifth": 20.0, "a tenth": 10.0},
    one_in="in",
    units={"k": 1e3, "thousand": 1e3, "m": 1e6, "million": 1e6, "bn": 1e9, "billion": 1e9},
    unit_print=((1e9, "bn"), (1e6, "m"), (1e3, "k")),
    ordinal_suffixes=("st", "nd", "rd", "th"),
    up=("up", "an increase of", "a rise of", "↑"),
    down=("down", "a decrease of", "a fall of", "a drop of", "↓"),
    unchanged="unchanged",
    trailing=("of",),
)

FRENCH = Language(
    code="fr",
    before={
        "more_than": ("plus de", "au-delà de", "bien plus de", "largement plus de"),
        "at_least": ("au moins", "pas moins de", "un minimum de"),
        "fewer_than": ("moins de",),
        "up_to": ("jusqu'à", "au plus", "pas plus de", "un maximum de"),
        "approximate": ("environ", "autour de", "quelque", "quelques", "approximativement", "env.", "~",
                        "près de", "de l'ordre de"),
        "nearly": ("presque", "pas loin de", "tout juste moins de", "un peu moins de"),
    },
    after={"at_least": ("+", "ou plus", "et plus")},
    between=("entre", "et"),
    range_words=("à", "-"),
    scales={
        "des dizaines": (20, 199),
        "des centaines": (200, 1_999),
        "des milliers": (2_000, 1_999_999),
        "des dizaines de milliers": (20_000, 99_999),
        "des centaines de milliers": (200_000, 999_999),
        "des millions": (2_000_000, 1_999_999_999),
    },
    scale_preference=("des millions", "des centaines de milliers", "des dizaines de milliers",
                      "des milliers", "des centaines", "des dizaines"),
    named={"une demi-douzaine": 6, "une douzaine": 12, "cent": 100, "mille": 1_000, "un million": 1_000_000},
    dozen=("une demi-douzaine", "une douzaine", "{n} douzaines"),
    fractions={"la moitié": 50.0, "un tiers": 100 / 3, "deux tiers": 200 / 3, "un quart": 25.0,
               "trois quarts": 75.0, "un cinquième": 20.0, "un dixième": 10.0},
    one_in="sur",
    units={"k": 1e3, "mille": 1e3, "m": 1e6, "million": 1e6, "millions": 1e6, "md": 1e9,
           "milliard": 1e9, "milliards": 1e9},
    unit_print=((1e9, "Md"), (1e6, "M"), (1e3, "k")),
    ordinal_suffixes=("er", "re", "e", "ème", "me"),  # num2words prints "2me"
    up=("en hausse de", "une hausse de", "+", "↑"),
    down=("en baisse de", "une baisse de", "↓"),
    unchanged="stable",
    money_input=r"^-?([0-9]{1,3}([ \x{a0}\x{202f}][0-9]{3})+|[0-9]+)(,[0-9]{1,2})?[ \x{a0}\x{202f}]?€?$",
    money_words=("not an amount of money in French style: write digits, optionally with space thousands "
                 "separators, a decimal comma and '€', like 1000000 or 1 000 000,50 €"),
    trailing=("de", "d'"),
)

LANGUAGES: dict[str, Language] = {lang.code: lang for lang in (ENGLISH, FRENCH)}


class LocaleError(ValueError):
    """A locale Babel does not know, or one whose language has no claim words yet."""


@functools.lru_cache(maxsize=None)
def language(locale: str = DEFAULT_LOCALE) -> Language:
    """The claim words of a locale ('en_GB' -> English); LocaleError names what is known."""
    code = str(locale).replace("-", "_").split("_")[0].lower()
    if code not in LANGUAGES:
        raise LocaleError(f"locale {locale!r}: claim words exist for {', '.join(sorted(LANGUAGES))} "
                          "(e.g. en_GB, fr_FR)")
    return LANGUAGES[code]


def check_locale(locale: str) -> str:
    """The locale as Babel names it; LocaleError if Babel or the claim words do not know it."""
    from babel import Locale, UnknownLocaleError

    try:
        parsed = Locale.parse(str(locale).replace("-", "_"))
    except (ValueError, UnknownLocaleError, TypeError):
        raise LocaleError(f"locale {locale!r} is not a known locale (e.g. en_GB, fr_FR)") from None
    language(str(parsed))
    return str(parsed)


@functools.lru_cache(maxsize=None)
def number_words(code: str) -> dict[str, float]:
    """Number words read back as numbers: num2words's spelling of 0..words_up_to, the language's
    named numbers ("a dozen") and its dozens ("two dozen")."""
    from num2words import num2words

    lang = LANGUAGES[code]
    table = {num2words(n, lang=code): float(n) for n in range(lang.words_up_to + 1)}
    table.update({k: float(v) for k, v in lang.named.items()})
    table.update(dozen_words(code))
    return table


@functools.lru_cache(maxsize=None)
def dozen_words(code: str) -> dict[str, float]:
    """"half a dozen", "a dozen", "two dozen" ... "twelve dozen": numbers said in dozens."""
    from num2words import num2words

    half, one, many = LANGUAGES[code].dozen
    return {half: 6.0, one: 12.0, **{many.format(n=num2words(n, lang=code)): 12.0 * n for n in range(2, 13)}}


def spell(n: int, code: str) -> str:
    """A whole number in words, by num2words ("twenty-one", "vingt et un")."""
    from num2words import num2words

    return num2words(n, lang=code)


PLURAL_FORMS = ("zero", "one", "two", "few", "many", "other")  # CLDR's plural categories
_DIGITS = re.compile(r"\d(?:[\d\s\u00a0\u202f.,']*\d)?")


def plural_form(printed: str, value, locale: str = DEFAULT_LOCALE) -> str:
    """The CLDR plural category (Babel's rules for the locale) of the number a text prints: "1" ->
    one, "499" and "1.0" -> other in English, "1,5" -> one in French. The last number written in
    digits decides; a text that spells it ("a dozen", "three") takes the value's."""
    from decimal import Decimal, InvalidOperation

    from babel import Locale
    from babel.numbers import NumberFormatError, parse_decimal

    rules = Locale.parse(locale)
    numbers = _DIGITS.findall(printed or "")
    if numbers:
        try:
            return rules.plural_form(parse_decimal(numbers[-1], locale=locale))
        except (NumberFormatError, InvalidOperation):
            pass
    return rules.plural_form(Decimal(str(value)) if isinstance(value, (int, float)) else 0)


def in_form(word, printed: str, value, locale: str = DEFAULT_LOCALE) -> str:
    """A word said with a count: a plain text as it is, or from plural forms ({one: launch, other:
    launches}) the one the count's category takes (`other` when that category is not given)."""
    if word is None or isinstance(word, str):
        return word or ""
    forms = word if isinstance(word, dict) else word.model_dump(exclude_none=True)
    return forms.get(plural_form(printed, value, locale)) or forms["other"]
