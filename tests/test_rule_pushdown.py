"""Rules computed where the records live give the pandas value, and count the same records.

A real PostgreSQL server (tests/postgres.py) and a DuckDB file hold the same table `events`, with
cells in every form infopipe's column types read: native types and text cells, NULL and empty cells,
numbers and dates with spaces (also non-ASCII ones) around them, booleans in any case, quotes in text,
duplicates for distinct counts. Hypothesis draws rules over the shipped rule types and filters (with
the reporting period, a link through `via` to `places`, distinct_on, a share's part); each is
computed by pandas on the rows infopipe read and typed, and by each database. Where the database
computes it (rules.sql_refusal is None) the value must be equal, exactly, and the record ids the
same, in the same order.
"""

from __future__ import annotations

import datetime as dt
import random

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from infopipe.concepts.rules import FILTERS, RULES, SQL, SqlAggregate, apply_rule, plain_value
from infopipe.data.database import PUSHDOWN, rule_backend
from infopipe.data.ingest import read_raw_table
from infopipe.data.validate import parse_table
from infopipe.spec.compile import CompiledRule, Filter, Link
from infopipe.spec.model import DatasetSpec
from postgres import HOST, remove_cluster, start_cluster

NBSP, SPACES = "\u00a0", [" ", "\t", "\u00a0", "\u2003", ""]
PG_ENV, DUCK_ENV = "INFOPIPE_TEST_RULES_PG", "INFOPIPE_TEST_RULES_DUCK"

EVENTS = {  # column: (infopipe type, PostgreSQL type, DuckDB type)
    "id": ("id", "text", "VARCHAR"),
    "n_int": ("integer", "bigint", "BIGINT"),
    "n_txt": ("integer", "text", "VARCHAR"),
    "x_num": ("number", "double precision", "DOUBLE"),
    "x_txt": ("number", "text", "VARCHAR"),
    "day": ("date", "date", "DATE"),
    "d_txt": ("date", "text", "VARCHAR"),
    "flag": ("boolean", "boolean", "BOOLEAN"),
    "flag_txt": ("boolean", "text", "VARCHAR"),
    "kind": ("text", "text", "VARCHAR"),
    "place": ("id", "text", "VARCHAR"),
    "amount": ("money", "text", "VARCHAR"),
}
PLACES = {"code": ("id", "text", "VARCHAR"), "region": ("text", "text", "VARCHAR"),
          "opened": ("date", "date", "DATE")}
KINDS = ["walk", "talk", "O'Brien's", "50% off", "Walk", " walk", None, ""]
START = dt.date(2021, 1, 1)


def _spaced(rng: random.Random, text: str) -> str:
    return rng.choice(SPACES) + text + rng.choice(SPACES)


def _cell(rng: random.Random, make, nulls: float = 0.15):
    return None if rng.random() < nulls else make()


def make_rows(n: int = 400) -> tuple[list[tuple], list[tuple]]:
    rng = random.Random(20)
    places = [(f"P{i}", rng.choice(["north", "south", "east", None]), START + dt.timedelta(days=rng.randrange(400)))
              for i in range(12)]
    rows = []
    for i in range(n):
        day = START + dt.timedelta(days=rng.randrange(730))
        rows.append((
            f"E{(i * 7919) % 10007:05d}",  # keys not in insertion order: rows are read in key order
            _cell(rng, lambda: rng.randrange(-50, 50) * rng.choice([1, 1, 1, 1000, 10**12, 10**14])),
            _cell(rng, lambda: _spaced(rng, rng.choice(["0", "-0", "007", str(rng.randrange(-99, 99))]))),
            _cell(rng, lambda: rng.choice([0.1, 0.2, 0.3, -0.0, 0.0, 2.5, 1e6 + 0.25, rng.randrange(-500, 500) / 8])),
            _cell(rng, lambda: _spaced(rng, rng.choice(["0.1", "0.30", "-0.0", "12", str(rng.randrange(999)) + ".125"]))),
            _cell(rng, lambda: day),
            _cell(rng, lambda: _spaced(rng, (START + dt.timedelta(days=rng.randrange(730))).isoformat())),
            _cell(rng, lambda: rng.random() < 0.5),
            _cell(rng, lambda: _spaced(rng, rng.choice(["YES", "no", "True", "false", "1", "0", "Yes"]))),
            _cell(rng, lambda: rng.choice(KINDS), 0.05),
            _cell(rng, lambda: rng.choice(places)[0] if rng.random() < 0.9 else "P99", 0.1),
            _cell(rng, lambda: rng.choice(["£1,200.50", "300", "£7"])),
        ))
    # a mean past 2**53: pandas adds in floating point, (2**53 + 1 + 1) / 3 is not what it gets
    rows += [(f"G{i}", n, *[None] * 7, "giant", None, None) for i, n in enumerate([2**53, 1, 1])]
    return rows, places


def _create(columns: dict, engine: int) -> str:
    return ", ".join(f"{c} {types[engine]}" + (" PRIMARY KEY" if i == 0 else "") for i, (c, types) in enumerate(columns.items()))


def dataset(name: str, columns: dict, connection: str, key: str) -> DatasetSpec:
    return DatasetSpec.model_validate({
        "name": name, "database": {"connection": connection, "table": name}, "primary_key": key,
        "columns": {c: {"name": c, "type": t[0], "nullable": c != key, **(
            {"references": "places.code"} if c == "place" else {})} for c, t in columns.items()}})


@pytest.fixture(scope="module")
def engines(tmp_path_factory):
    """{engine: (datasets, typed frames read by infopipe)} for PostgreSQL and DuckDB, same rows."""
    import duckdb
    import psycopg

    rows, places = make_rows()
    cluster = start_cluster()
    mp = pytest.MonkeyPatch()
    try:
        cluster.create_database("rules")
        pg = f"postgresql://{cluster.user}@{HOST}:{cluster.port}/rules"
        with psycopg.connect(pg, autocommit=True) as con:
            con.execute(f"CREATE TABLE events ({_create(EVENTS, 1)})")
            con.execute(f"CREATE TABLE places ({_create(PLACES, 1)})")
            with con.cursor() as cur:
                cur.executemany(f"INSERT INTO events VALUES ({', '.join(['%s'] * len(EVENTS))})", rows)
                cur.executemany("INSERT INTO places VALUES (%s, %s, %s)", places)
        path = tmp_path_factory.mktemp("duck") / "rules.duckdb"
        with duckdb.connect(str(path)) as con:
            con.execute(f"CREATE TABLE events ({_create(EVENTS, 2)})")
            con.execute(f"CREATE TABLE places ({_create(PLACES, 2)})")
            con.executemany(f"INSERT INTO events VALUES ({', '.join(['?'] * len(EVENTS))})", rows)
            con.executemany("INSERT INTO places VALUES (?, ?, ?)", places)
        mp.setenv(PG_ENV, pg)
        mp.setenv(PUSHDOWN, "on")
        mp.setenv(DUCK_ENV, f"duckdb://{path}")
        out = {}
        for engine, env in (("postgresql", PG_ENV), ("duckdb", DUCK_ENV)):
            datasets = {"events": dataset("events", EVENTS, env, "id"),
                        "places": dataset("places", PLACES, env, "code")}
            frames = {}
            for name, ds in datasets.items():
                frame, found, _ = parse_table(ds, read_raw_table(ds, tmp_path_factory.getbasetemp()))
                assert found == [], found  # every cell is one infopipe reads
                frames[name] = frame
            out[engine] = (datasets, frames)
        yield out
    finally:
        mp.undo()
        remove_cluster(cluster)


# ---- drawing rules ------------------------------------------------------------------------------

def _values(frames, dataset: str, column: str) -> list:
    values = [plain_value(v) for v in frames[dataset][column].dropna().unique()]
    kind = EVENTS.get(column, PLACES.get(column))[0]
    if kind == "date":
        values = [dt.date.fromisoformat(v) for v in values]
    return values + {"integer": [0, 7, -3], "number": [0.1, 0.3, 2.5], "date": [START], "boolean": [True, False],
                     "money": [300.0]}.get(kind, ["walk", "nowhere"])


@st.composite
def filters(draw, frames, dataset: str, columns: dict, most: int = 2) -> tuple[Filter, ...]:
    out = []
    for _ in range(draw(st.integers(0, most))):
        column = draw(st.sampled_from([c for c in columns if c != "amount" or draw(st.booleans())]))
        kind = columns[column][0]
        op = draw(st.sampled_from([f for f in FILTERS.values() if f.types is None or kind in f.types]))
        values = _values(frames, dataset, column)
        if op.shape == "flag":
            value = draw(st.booleans())
        elif op.shape == "list":
            value = draw(st.lists(st.sampled_from(values), min_size=1, max_size=3))
        elif op.shape == "pair":
            value = sorted(draw(st.lists(st.sampled_from(values), min_size=2, max_size=2)))
        elif op.shape == "text":
            value = draw(st.sampled_from(["w", "al", "O'", "%", "E0", "P1", "Walk"]))
        else:
            value = draw(st.sampled_from(values))
        if isinstance(value, list) and value and isinstance(value[0], dt.date):
            value = [v.isoformat() for v in value]
        out.append(Filter(column, op.name, op.check(value, kind)))
    return tuple(out)


def _period(draw) -> tuple[dt.date, dt.date]:
    start = START + dt.timedelta(days=draw(st.integers(0, 700)))
    return start, start + dt.timedelta(days=draw(st.integers(0, 400)))


@st.composite
def rules(draw, frames):
    kind = draw(st.sampled_from(list(RULES)))
    rule_type = RULES[kind]
    column = None
    if rule_type.column_types is not None:
        fits = [c for c, t in EVENTS.items() if t[0] in rule_type.column_types]
        column = draw(st.sampled_from(fits))
    period = None
    if kind in ("rate", "change") or draw(st.booleans()):
        period = ("day",) + _period(draw)
    base = ("day",) + _period(draw) if kind == "change" else None
    via, via_period = None, None
    if draw(st.integers(0, 3)) == 0:
        via = Link("place", "places", "code", draw(filters(frames, "places", PLACES, 1)))
        if draw(st.booleans()):
            via_period = ("opened",) + _period(draw)
    distinct_on = draw(st.sampled_from([(), (), ("kind",), ("kind", "flag_txt"), ("d_txt",)]))
    part = draw(filters(frames, "events", EVENTS, 2).filter(bool)) if kind == "share" else ()
    rule = CompiledRule(type=kind, dataset="events", primary_key="id", column=column,
                        where=draw(filters(frames, "events", EVENTS)), part=part, via=via, distinct_on=distinct_on,
                        period=period, via_period=via_period, per=draw(st.sampled_from(["day", "week", "month", "year"]))
                        if kind == "rate" else None, base_period=base)
    return rule


def both_ways(engine: str, setup, rule) -> tuple:
    """(pandas' result, the database's result or None where pandas computes it, why)."""
    datasets, frames = setup
    expected = apply_rule(rule, frames, "id", rule.period, rule.via_period)
    backend, why = rule_backend(rule, datasets, rule.period, rule.via_period)
    pushed = apply_rule(rule, frames, "id", rule.period, rule.via_period, backend) if backend else None
    return expected, pushed, why


def assert_same(expected, pushed) -> None:
    assert pushed is not None
    as_tuple = isinstance(expected.value, tuple)
    plain = (lambda v: tuple(map(plain_value, v))) if as_tuple else plain_value
    assert plain(pushed.value) == plain(expected.value) and type(plain(pushed.value)) is type(plain(expected.value))
    assert list(pushed.record_ids) == list(expected.record_ids)
    assert list(pushed.selected.index) == list(expected.selected.index)


PUSHED: dict[str, set] = {"postgresql": set(), "duckdb": set()}


@pytest.mark.parametrize("engine", ["postgresql", "duckdb"])
def test_a_rule_computed_in_the_database_equals_the_pandas_value(engines, engine):
    setup = engines[engine]

    @settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
    @given(rules(setup[1]))
    def check(rule):
        expected, pushed, why = both_ways(engine, setup, rule)
        if why is None:
            assert_same(expected, pushed)
            if pushed.computed["engine"] == engine:
                assert pushed.computed["query"].startswith("WITH rows AS (SELECT") and pushed.computed["connection"]
                PUSHED[engine].add(rule.type)
        else:
            assert pushed is None
            touched = {rule.column, *(f.column for f in rule.where + rule.part)}
            assert rule.type not in SQL or "amount" in touched or "is computed in pandas" in why, why

    check()
    assert PUSHED[engine] >= set(SQL), f"never pushed down: {set(SQL) - PUSHED[engine]}"


@pytest.mark.parametrize("engine", ["postgresql", "duckdb"])
def test_each_shipped_rule_type_pushes_down_or_says_why_not(engines, engine):
    datasets, frames = engines[engine]
    column = {"count_distinct": "kind", "sum": "n_txt", "mean": "n_txt", "min": "x_txt", "max": "d_txt",
              "date_range": "d_txt", "median": "n_int"}
    for name in RULES:
        rule = CompiledRule(type=name, dataset="events", primary_key="id", column=column.get(name),
                            where=(Filter("flag_txt", "equals", True),), part=(Filter("kind", "in", ("walk", "talk")),),
                            period=("day", dt.date(2021, 3, 1), dt.date(2022, 2, 1)), per="week",
                            base_period=("day", dt.date(2021, 1, 1), dt.date(2021, 2, 28)))
        expected, pushed, why = both_ways(engine, (datasets, frames), rule)
        if name == "median":
            assert pushed is None and why == "median is computed in pandas on the rows read (it is not pushed down)"
            continue
        assert why is None and pushed.computed["engine"] == engine, name
        assert_same(expected, pushed)
    money = CompiledRule(type="min", dataset="events", primary_key="id", column="amount")
    assert both_ways(engine, (datasets, frames), money)[2] == \
        "events.amount is money, which the database does not type as infopipe does"
    big = CompiledRule(type="sum", dataset="events", primary_key="id", column="n_int")
    assert big.type in SQL and both_ways(engine, (datasets, frames), big)[1].computed["engine"] == engine
    mean = CompiledRule(type="mean", dataset="events", primary_key="id", column="n_int",
                        where=(Filter("kind", "equals", "giant"),))
    expected, pushed, why = both_ways(engine, (datasets, frames), mean)
    assert_same(expected, pushed)
    assert why is None and pushed.computed["engine"] == "pandas" and "2**53" in pushed.computed["why"]


def test_a_wrong_pushdown_is_caught(engines, monkeypatch):
    """Break the SQL of one filter (`equals` written as >=): the comparison with pandas fails; break
    an aggregate (a count one too many): the run's own recount of the records refuses the value."""
    from infopipe.concepts.rules import DatabaseChanged

    datasets, frames = engines["postgresql"]
    rule = CompiledRule(type="count_rows", dataset="events", primary_key="id", where=(Filter("n_txt", "equals", 7),))
    assert_same(*both_ways("postgresql", (datasets, frames), rule)[:2])
    monkeypatch.setitem(FILTERS, "equals", FILTERS["equals"].__class__(
        **{**FILTERS["equals"].__dict__, "sql": lambda c, v, lit: f"{c} >= {lit(v)}"}))
    with pytest.raises(AssertionError):
        assert_same(*both_ways("postgresql", (datasets, frames), rule)[:2])
    monkeypatch.undo()
    monkeypatch.setitem(SQL, "count_rows", SqlAggregate(lambda r, q: ["COUNT(*) + 1"], lambda v, r: int(v[0])))
    with pytest.raises(DatabaseChanged):
        both_ways("postgresql", (datasets, frames), rule)


def test_pushdown_is_off_unless_asked_for(engines, monkeypatch):
    """While every row is read and validated anyway, pandas computes by default (it is faster)."""
    datasets, _ = engines["postgresql"]
    rule = CompiledRule(type="count_rows", dataset="events", primary_key="id")
    monkeypatch.delenv(PUSHDOWN, raising=False)
    assert rule_backend(rule, datasets) == (None, f"{PUSHDOWN} is off")
    monkeypatch.setenv(PUSHDOWN, "on")
    backend, why = rule_backend(rule, datasets)
    assert backend is not None and why is None
