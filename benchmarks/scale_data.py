"""A seeded events table of any size, with a small venues table it refers to, and a spec for both.

Written column-wise with pyarrow compute (no Python loop per row), so 10 million rows take seconds to
make. Used by bench_scale.py and by the tests that need a big-ish file.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

CATEGORIES = ("workshop", "talk", "exhibition", "meeting", "festival", "training")
VENUES = 200
CHUNK = 1_000_000

SPEC = """\
project: scale
title: Events at scale
max_file_bytes: {max_file_bytes}
datasets:
  venues:
    file: venues.csv
    primary_key: venue_id
    columns:
      venue_id: {{type: id}}
      name: {{type: text}}
      city: {{type: text}}
      source: {{type: source}}
  events:
    file: {events_file}
    primary_key: event_id
    columns:
      event_id: {{type: id}}
      title: {{type: text}}
      category: {{type: text, allowed: [{categories}]}}
      venue_id: {{type: id, references: venues.venue_id}}
      start_date: {{type: date}}
      end_date: {{type: date, nullable: true, not_before: start_date}}
      attendees: {{type: integer, min: 0}}
      ticket_income_gbp: {{type: money, min: 0}}
      online: {{type: boolean}}
      source: {{type: source}}
figures:
  - id: workshops
    label: workshops
    published: "0"
    accepted_difference: "benchmark data"
    explanation: workshops held
    rule: {{type: count_rows, dataset: events, where: [{{column: category, equals: workshop}}]}}
  - id: venues_used
    label: venues used
    published: "0"
    accepted_difference: "benchmark data"
    explanation: venues with at least one event
    rule: {{type: count_distinct, dataset: events, column: venue_id}}
"""

HEADER = ("event_id,title,category,venue_id,start_date,end_date,attendees,ticket_income_gbp,online,"
          "source\n")


def write_project(folder: Path, rows: int, seed: int = 7, events_file: str = "events.csv",
                  max_file_bytes: int | None = None) -> Path:
    """Write raw/venues.csv, raw/<events_file> and spec.yaml into folder; return the spec path."""
    raw = folder / "raw"
    raw.mkdir(parents=True, exist_ok=True)
    venue_ids = [f"V-{i:04d}" for i in range(1, VENUES + 1)]
    (raw / "venues.csv").write_text(
        "venue_id,name,city,source\n" + "".join(
            f"{v},Venue {v[2:]},City {int(v[2:]) % 17},https://example.org/venues/{v}\n"
            for v in venue_ids), encoding="utf-8")
    with open(raw / events_file, "wb") as out:
        out.write(HEADER.encode())
        rng = np.random.default_rng(seed)
        for start in range(0, rows, CHUNK):
            out.write(event_lines(rng, start, min(CHUNK, rows - start)))
    spec = folder / "spec.yaml"
    spec.write_text(SPEC.format(events_file=events_file, categories=", ".join(CATEGORIES),
                                max_file_bytes=max_file_bytes or 4_000_000_000), encoding="utf-8")
    return spec


def event_lines(rng: np.random.Generator, start: int, count: int) -> bytes:
    """`count` CSV lines of events numbered from start + 1, as one bytes block."""
    number = pa.array(np.arange(start + 1, start + count + 1))
    event_id = pc.binary_join_element_wise("EV-", pc.utf8_lpad(pc.cast(number, pa.string()), 8, "0"), "")
    kind = rng.integers(0, len(CATEGORIES), count)
    category = pc.take(pa.array(CATEGORIES), pa.array(kind))
    # Every 50th title holds a comma, so it is quoted, as spreadsheets write it.
    serial = pc.cast(pa.array(rng.integers(1, 100_000, count)), pa.string())
    title = pc.binary_join_element_wise(pc.utf8_capitalize(category), " no. ", serial, "")
    quoted = pa.array(np.arange(count) % 50 == 0)
    title = pc.if_else(quoted, pc.binary_join_element_wise('"', title, ', part 2"', ""), title)
    venue = pc.binary_join_element_wise(
        "V-", pc.utf8_lpad(pc.cast(pa.array(rng.integers(1, VENUES + 1, count)), pa.string()), 4, "0"), "")
    day = rng.integers(0, 365 * 6, count)
    start_date = np.datetime64("2016-01-01") + day
    end_date = start_date + rng.integers(0, 4, count)
    no_end = rng.random(count) < 0.2
    start_text = pa.array(start_date.astype(str))
    end_text = pc.if_else(pa.array(no_end), "", pa.array(end_date.astype(str)))
    attendees = pc.cast(pa.array(rng.integers(0, 500, count)), pa.string())
    pence = rng.integers(0, 5_000_000, count)
    plain = pc.binary_join_element_wise(
        pc.cast(pa.array(pence // 100), pa.string()), ".",
        pc.utf8_lpad(pc.cast(pa.array(pence % 100), pa.string()), 2, "0"), "")
    # Every 10th amount is written the UK way, '£1,234.50', which needs quotes in a CSV.
    pounds = pence // 100
    grouped = pc.if_else(
        pa.array(pounds >= 1000),
        pc.binary_join_element_wise(pc.cast(pa.array(pounds // 1000), pa.string()), ",",
                                    pc.utf8_lpad(pc.cast(pa.array(pounds % 1000), pa.string()), 3, "0"), ""),
        pc.cast(pa.array(pounds), pa.string()))
    uk = pc.binary_join_element_wise('"£', grouped, ".",
                                     pc.utf8_lpad(pc.cast(pa.array(pence % 100), pa.string()), 2, "0"), '"', "")
    money = pc.if_else(pa.array(np.arange(count) % 10 == 3), uk, plain)
    online = pc.take(pa.array(["no", "yes"]), pa.array((rng.random(count) < 0.3).astype(np.int8)))
    source = pc.binary_join_element_wise("https://example.org/events/", event_id, "")
    line = pc.binary_join_element_wise(event_id, title, category, venue, start_text, end_text, attendees,
                                       money, online, source, ",")
    line = pc.binary_join_element_wise(line, "\n", "")
    return _concat(line)


def _concat(strings: pa.Array) -> bytes:
    """The strings of an array, back to back: its data buffer between the first and last offset."""
    strings = strings.cast(pa.large_string()) if not isinstance(strings, pa.LargeStringArray) else strings
    offsets = np.frombuffer(strings.buffers()[1], dtype=np.int64)[strings.offset:strings.offset + len(strings) + 1]
    return strings.buffers()[2].to_pybytes()[offsets[0]:offsets[-1]]
