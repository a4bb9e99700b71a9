"""Column constraints, one registered object each: when a column has it, the named pandera Check that
enforces it, the words of a failure and the words of a passed check.

A failure is read back from pandera's `failure_cases` table by the position of the Check in the list
built here (`check_number`), and from that Check by its name: the constraint's identity travels as
data, never inside an error message to be split back out. Adding a constraint is one entry in
CONSTRAINTS (and, when the spec writes it as a new column key, that key in spec/model.py's ColumnSpec).

pandera and pandas are imported only when checks are built: the spec reads this module's names.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, Callable

from infopipe.concepts.column_types import NUMERIC  # the column types that hold numbers (a trait)



@dataclass(frozen=True)
class Constraint:
    name: str  # the check's name: the Problem's check in every message ("min")
    declared: Callable[[Any], bool]  # does this column (a ColumnSpec) have it?
    check: Callable[[Any, dt.date], Any]  # (column, today) -> the pandera Check, named `name`
    fails: Callable[[Any, dt.date], str]  # (column, today) -> what a failing value is ("must be at least 0")
    passed: Callable[[Any], str]  # column -> the check in words, for the record ("> = 0")
    on_frame: bool = False  # compares columns of a row (a frame-level Check), not one column's values
    types: frozenset[str] | None = None  # the column types it may be declared on; None: any


def _isin(col, today):
    import pandera.pandas as pa

    return pa.Check.isin(list(col.allowed), name="allowed")


def _ge(col, today):
    import pandera.pandas as pa

    return pa.Check.ge(col.min, name="min")


def _le(col, today):
    import pandera.pandas as pa

    return pa.Check.le(col.max, name="max")


def _not_future(col, today):
    import pandas as pd
    import pandera.pandas as pa

    return pa.Check.le(pd.Timestamp(today), name="future-date")


def _not_before(col, today):
    import pandera.pandas as pa

    later, earlier = col.name, col.not_before

    def holds(frame):
        return frame[later].isna() | frame[earlier].isna() | (frame[later] >= frame[earlier])
    return pa.Check(holds, name="date-order")


CONSTRAINTS: dict[str, Constraint] = {c.name: c for c in (
    Constraint("allowed", lambda col: bool(col.allowed), _isin,
               lambda col, today: f"must be one of: {', '.join(map(str, col.allowed))}",
               lambda col: "one of " + "/".join(map(str, col.allowed))),
    Constraint("min", lambda col: col.min is not None, _ge, lambda col, today: f"must be at least {col.min}",
               lambda col: f">= {col.min}", types=NUMERIC),
    Constraint("max", lambda col: col.max is not None, _le, lambda col, today: f"must be at most {col.max}",
               lambda col: f"<= {col.max}", types=NUMERIC),
    Constraint("future-date", lambda col: col.type == "date", _not_future,
               lambda col, today: f"is in the future (after {today})", lambda col: "not in the future"),
    Constraint("date-order", lambda col: bool(col.not_before), _not_before,
               lambda col, today: f"{col.name} is before {col.not_before}",
               lambda col: f"not before {col.not_before}", on_frame=True),
)}


@dataclass(frozen=True)
class Declared:
    """One constraint on one column, as built into a schema: read back by its position."""

    constraint: Constraint
    column: Any  # the ColumnSpec

    def message(self, today: dt.date) -> str:
        return self.constraint.fails(self.column, today)


def declared_on(col) -> list[Constraint]:
    """The constraints a column has, in registry order."""
    return [c for c in CONSTRAINTS.values() if c.declared(col)]
