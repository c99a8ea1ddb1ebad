"""Input fuzzing: any input gives a result or a `BurnoutError` with a message, never an unhandled
exception, and never a partial write.

Property-based tests (hypothesis) over the check-in CSV importer, Hume's response parsers (current
and legacy format, and the legacy import that stores them) and the `burnout` command's arguments.
Every property runs on a small mock hospital in a SQLite database of its own.

Runs are reproducible: `derandomize=True` draws the same examples on every run and the example
database is off, so CI and a developer see the same inputs (a failure prints the example that
shrank from it).
"""

from __future__ import annotations

import argparse
import contextlib
import copy
import csv
import io
import json
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import numpy as np
import orjson
import pandas as pd
import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as fuzz_settings
from hypothesis import strategies as st
from sqlalchemy import select
from sqlalchemy.engine import Engine

from burnout_lib.cli import MAX_SURVEY_ROWS, build_parser, main
from burnout_lib.config import Settings, load_settings
from burnout_lib.emotions import EXPRESSION_SLUGS
from burnout_lib.errors import BurnoutError, InvalidInput
from burnout_lib.mock.hospital import (
    MAX_FRAMES_PER_RECORDING,
    MAX_STAFF,
    MAX_WEEKS,
    UNITS,
    MockSpec,
    generate_hospital,
    measurement_response,
    write_mock,
)
from burnout_lib.privacy.consent import set_consent
from burnout_lib.sources.checkins import (
    OPTIONAL,
    REQUIRED,
    WEEK_COLUMNS,
    ImportReport,
    InvalidCheckinFile,
    import_checkins,
)
from burnout_lib.sources.hume.extract import ExtractResult, import_legacy
from burnout_lib.sources.hume.predictions import (
    ID_COLUMNS,
    LegacyPrediction,
    load_json,
    parse_current,
    parse_legacy,
)
from burnout_lib.sources.instruments import ANSWER_SCORES, DEGREE, FREQUENCY, PERSONAL, WORK
from burnout_lib.store import db
from burnout_lib.store.db import init_db, make_engine
from burnout_lib.store.integrity import TableSum, table_sums

from helpers.paths import ROOT

LEGACY_SAMPLE = ROOT / "data" / "samples" / "hume_legacy" / "face_only_5_frames.json"

SPEC = MockSpec(staff=8, weeks=2, seed=1)
#: The mock hospital's pseudonyms, in roster order (the same seed always gives the same people).
PSEUDONYMS: list[str] = list(generate_hospital(SPEC).staff["pseudonym"])


def fuzz(examples: int) -> fuzz_settings:
    """Hypothesis settings for these tests: reproducible, no deadline, no example database."""
    return fuzz_settings(
        max_examples=examples,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )


@dataclass
class Hospital:
    """A mock hospital in a SQLite database, with a folder for fuzzed input files."""

    engine: Engine
    settings: Settings
    root: Path

    @property
    def inputs(self) -> Path:
        return self.root / "inputs"


@pytest.fixture
def fuzz_hospital(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, hospital_templates
) -> Iterator[Hospital]:
    """Eight staff over two weeks (a copy of the session's mock). The first four have check-in
    consent, the last has not; the first has recording consent. No Hume key, and Hume's address
    is a closed local port."""
    monkeypatch.chdir(tmp_path)  # no `.env` of the developer's is read
    for name in ("HUME_API_KEY", "BURNOUT_FACIAL_CHANNEL", "BURNOUT_DB_URL", "BURNOUT_DATA_DIR"):
        monkeypatch.setenv(name, "")
    monkeypatch.setenv("HUME_BASE_URL", "http://127.0.0.1:9")
    monkeypatch.setenv("PGAPPNAME", "burnout tests")
    data = tmp_path / "data"
    settings = load_settings(db=f"sqlite:///{data / 'burnout.db'}", data_dir=data)
    data.mkdir()
    (tmp_path / "inputs").mkdir()
    engine = make_engine(settings.db_url)
    init_db(engine)
    hospital_templates.restore(SPEC, None, engine, settings)
    for name in PSEUDONYMS[:4]:
        set_consent(engine, name, "checkin", granted=True)
    set_consent(engine, PSEUDONYMS[-1], "checkin", granted=False)
    set_consent(engine, PSEUDONYMS[0], "face", granted=True)
    yield Hospital(engine, settings, tmp_path)
    engine.dispose()


def changed_tables(before: dict[str, TableSum], after: dict[str, TableSum]) -> set[str]:
    return {name for name in before if before[name] != after[name]}


def assert_message(error: BurnoutError) -> None:
    """A user error says something, in one line (the command prints it as one)."""
    message = str(error)
    assert message.strip(), f"{type(error).__name__} without a message"
    assert "\n" not in message and "\r" not in message, f"a message of several lines: {message!r}"


def mostly(usual: st.SearchStrategy, odd: st.SearchStrategy) -> st.SearchStrategy:
    """`usual` three times in four, `odd` otherwise (e.g. valid arguments, so most command lines
    get past argument parsing)."""
    return st.integers(0, 3).flatmap(lambda k: odd if k == 0 else usual)


# --------------------------------------------------------------------------------------------
# Check-in CSV importer

JUNK = [
    "", " ", "\t", "nan", "NaN", "None", "null", "NULL", "inf", "-inf", "1e400", "-25", "24",
    "25.5", "0x19", "١٠٠", "9" * 400, '"', '""', "a,b", "a\nb", "a\r\nb", "\r", "\x00", "\ufeff",
    "🙂", "Ωmega", "=1+1", "2026-02-30", "2026-13-01", "0000-01-01", "2026-W54", "2026-W00",
]  # fmt: skip
JUNK_COLUMNS = ["", " ", "Pseudonym", "personal_7", "week ", "id", "名前", "a,b", 'q"t', "x\ny"]
KNOWN_COLUMNS = [*REQUIRED, *OPTIONAL, *WEEK_COLUMNS]
VALID_HEADER = ["pseudonym", "week", *REQUIRED[1:]]
LABELS = [*FREQUENCY, *DEGREE, "often", " ALWAYS ", "to a LOW degree"]  # some on the wrong scale

junk = st.one_of(st.sampled_from(JUNK), st.text(max_size=12))
pseudonyms = st.one_of(
    st.sampled_from(PSEUDONYMS),
    st.sampled_from(PSEUDONYMS).map(lambda p: f" {p}\t"),
    st.sampled_from(PSEUDONYMS).map(str.upper),
    junk,
)
days = st.dates(min_value=date(1, 1, 1), max_value=date(9999, 12, 31))
weeks = st.one_of(
    days.map(date.isoformat),
    st.builds(lambda y, w: f"{y:04d}-W{w:02d}", st.integers(0, 9999), st.integers(0, 60)),
    junk,
)
answers = st.one_of(st.sampled_from([str(s) for s in ANSWER_SCORES]), st.sampled_from(LABELS), junk)
stamps = st.one_of(st.datetimes().map(lambda d: d.isoformat()), junk)


VALID_CELLS = {
    "pseudonym": st.sampled_from(PSEUDONYMS[:4]),
    "week": st.dates(date(2000, 1, 1), date(2100, 1, 1)).map(date.isoformat),
    "date": st.dates(date(2000, 1, 1), date(2100, 1, 1)).map(date.isoformat),
    "answered_at": st.datetimes(min_value=datetime(2000, 1, 1)).map(datetime.isoformat),
}


SCALES = {item.column: item.labels for item in PERSONAL.items + WORK.items}


def cells_for(column: str, clean: bool) -> st.SearchStrategy[str]:
    """Values for one column: valid ones only (a clean row), or valid and invalid mixed."""
    if clean and column in SCALES:
        labels = [*SCALES[column], *(label.upper() for label in SCALES[column])]
        return st.sampled_from([str(s) for s in ANSWER_SCORES] + labels + [""])
    if clean:
        return VALID_CELLS.get(column, junk)
    if column == "pseudonym":
        return pseudonyms
    if column in WEEK_COLUMNS:
        return weeks
    if column == "answered_at":
        return stamps
    if column in KNOWN_COLUMNS:
        return answers
    return junk


@st.composite
def headers(draw: st.DrawFn) -> list[str]:
    """A valid header, a mutated one (dropped, duplicated, junk columns), or any list of names."""
    kind = draw(st.sampled_from(["valid", "mutated", "any"]))
    if kind == "any":
        return draw(st.lists(st.sampled_from(KNOWN_COLUMNS + JUNK_COLUMNS), min_size=1, max_size=9))
    header = list(VALID_HEADER)
    if draw(st.booleans()):
        header[1] = "date"
    header += draw(st.lists(st.sampled_from(OPTIONAL), max_size=3, unique=True))
    if kind == "mutated":
        for _ in range(draw(st.integers(1, 3))):
            action = draw(st.sampled_from(["drop", "duplicate", "junk", "both weeks"]))
            if action == "drop" and len(header) > 1:
                header.pop(draw(st.integers(0, len(header) - 1)))
            elif action == "duplicate":
                header.append(draw(st.sampled_from(header)))
            elif action == "junk":
                header.append(draw(st.sampled_from(JUNK_COLUMNS)))
            else:
                header.append("date" if "week" in header else "week")
    return draw(st.permutations(header))


@st.composite
def checkin_files(draw: st.DrawFn) -> bytes:
    """A structurally plausible check-in CSV, its cells mixing valid and invalid values; one in
    three is a well-formed file of valid rows."""
    well_formed = draw(st.integers(0, 2)) == 0
    header = VALID_HEADER if well_formed else draw(headers())
    rows = []
    for _ in range(draw(st.integers(0, 6))):
        clean = well_formed or draw(st.booleans())
        row = [draw(cells_for(column, clean)) for column in header]
        if not well_formed and draw(st.integers(0, 9)) == 0:  # too few or too many cells
            row = row[: draw(st.integers(0, len(row)))] + draw(st.lists(junk, max_size=2))
        rows.append(row)
    buffer = io.StringIO()
    if well_formed or draw(st.booleans()):
        newline = draw(st.sampled_from(["\n", "\r\n"]))
        csv.writer(buffer, lineterminator=newline).writerows([header, *rows])
    else:  # written naively: commas, quotes and newlines inside cells break the structure
        buffer.write("\n".join(",".join(row) for row in [header, *rows]))
    text = draw(st.sampled_from(["", "\ufeff"])) + buffer.getvalue()
    encoding = "utf-8" if well_formed else draw(st.sampled_from(["utf-8", "latin-1", "utf-16"]))
    return text.encode(encoding, errors="replace")


raw_files = st.one_of(st.binary(max_size=200), st.text(max_size=200).map(str.encode))


def import_and_check(hospital: Hospital, content: bytes, skip_invalid: bool) -> str:
    """Import one file and check the outcome; returns "imported" or "refused"."""
    path = hospital.inputs / "checkins.csv"
    path.write_bytes(content)
    engine = hospital.engine
    before = table_sums(engine)
    try:
        report = import_checkins(engine, path, skip_invalid=skip_invalid)
    except BurnoutError as error:
        assert_message(error)
        assert table_sums(engine) == before, "a refused file changed the database"
        return "refused"
    after = table_sums(engine)
    assert isinstance(report, ImportReport)
    assert 0 <= report.written <= report.imported <= report.rows
    assert skip_invalid or not report.errors, "bad rows were imported without --skip-invalid"
    assert all(e.line > 1 for e in report.errors), "a broken header was imported"
    assert changed_tables(before, after) <= {"checkin"}
    assert 0 <= after["checkin"].rows - before["checkin"].rows <= report.imported
    if report.written == 0:
        assert after["checkin"] == before["checkin"]
    return "imported" if report.imported else "refused"


def test_checkin_import_any_bytes(fuzz_hospital: Hospital) -> None:
    outcomes: Counter[str] = Counter()

    @fuzz(200)
    @given(content=raw_files, skip_invalid=st.booleans())
    def check(content: bytes, skip_invalid: bool) -> None:
        outcomes[import_and_check(fuzz_hospital, content, skip_invalid)] += 1

    check()
    assert outcomes["refused"] > 0


def test_checkin_import_plausible_files(fuzz_hospital: Hospital) -> None:
    outcomes: Counter[str] = Counter()

    @fuzz(400)
    @given(content=checkin_files(), skip_invalid=st.booleans())
    def check(content: bytes, skip_invalid: bool) -> None:
        outcomes[import_and_check(fuzz_hospital, content, skip_invalid)] += 1

    check()
    assert outcomes["imported"] > 0 and outcomes["refused"] > 0, outcomes


# --------------------------------------------------------------------------------------------
# Hume responses: current API, legacy batch API

json_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(),
    st.text(max_size=8),
)
json_values = st.recursive(
    json_scalars,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=20,
)
WEIRD = [
    None, True, False, "", "x", "nan", "frame", 0, -1, 1.5, 2**63, 2**64, 10**30,
    float("nan"), float("inf"), float("-inf"), 1e308, -1e308, [], {}, [[]], [None],
    {"name": "x"}, {"name": "joy", "probability": 0.5, "score": 0.5},
]  # fmt: skip
weird = st.one_of(st.sampled_from(WEIRD), json_values)
ODD_NUMBERS = [
    float("nan"), float("inf"), float("-inf"), 1e308, -1e308, -1, 0, 2**63, 2**64, 10**30,
    True, "1",
]  # fmt: skip
ODD_TEXT = ["", " ", "frame", "Frame", "face_id", "x", "🙂", "nan", "0"]


def odd_like(value: object) -> st.SearchStrategy:
    """A value of the wrong kind, or the right kind at its edges (NaN, huge, empty, a clash)."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return mostly(st.sampled_from(ODD_NUMBERS) | st.floats() | st.integers(), weird)
    if isinstance(value, str):
        return mostly(st.sampled_from(ODD_TEXT), weird)
    return weird


def _current_base() -> dict:
    """A recorded-shape current response: two frames with a face, one without, one face not
    measured (as the API returns beyond its two largest faces)."""
    scores = np.random.default_rng(0).random((3, len(EXPRESSION_SLUGS)))
    scores[1] = np.nan
    response = measurement_response(scores, request_id="fuzz")
    response["measurements"][2]["faces"].append(
        {"face_id": None, "bbox": [0, 0, 9, 9], "confidence": 0.6, "expressions": None}
    )
    response["face_state"] = "opaque"
    return response


CURRENT_BASE = _current_base()
LEGACY_BASE = orjson.loads(LEGACY_SAMPLE.read_bytes())


def locations(document: object, prefix: tuple = ()) -> Iterator[tuple]:
    """Every place in a JSON document, as the keys and indexes that lead to it."""
    yield prefix
    if isinstance(document, dict):
        for key, value in document.items():
            yield from locations(value, (*prefix, key))
    elif isinstance(document, list):
        for index, value in enumerate(document):
            yield from locations(value, (*prefix, index))


@st.composite
def mutated(draw: st.DrawFn, base: object) -> object:
    """A real response with one to three things broken: a key dropped, a value swapped for
    another type (NaN, inf, huge, negative, empty), a list emptied, the nesting changed; at one
    place, or at every place that field appears (every frame number, every expression name)."""
    document = copy.deepcopy(base)
    for _ in range(draw(st.integers(1, 3))):
        # Pick a field name first (`frame`, `box`, `name`, a list item, …), then where, so the
        # rare fields are hit as often as the 48 scores of every face.
        by_field: dict[str, list[tuple]] = {}
        for path in locations(document):
            field = path[-1] if path and isinstance(path[-1], str) else f"[{len(path)}]"
            by_field.setdefault(field, []).append(path)
        places = by_field[draw(st.sampled_from(sorted(by_field)))]
        action = draw(st.sampled_from(["replace"] * 3 + ["drop", "empty", "wrap", "nest", "text"]))
        if places == [()]:
            document = draw(weird) if action in ("replace", "drop") else [document]
            continue
        # Backwards in document order: children before their parents, later items first.
        targets = places[::-1] if draw(st.booleans()) else [draw(st.sampled_from(places))]
        replacement = draw(odd_like(_at(document, targets[0])))
        for path in targets:
            try:
                parent = _at(document, path[:-1])
                key, value = path[-1], parent[path[-1]]
            except (KeyError, IndexError, TypeError):  # an earlier change moved it
                continue
            if action == "drop":
                del parent[key]
            elif action == "replace":
                parent[key] = copy.deepcopy(replacement)
            elif action == "empty":
                parent[key] = type(value)() if isinstance(value, list | dict | str) else None
            elif action == "wrap":
                parent[key] = [value]
            elif action == "nest":
                parent[key] = {"value": value}
            else:
                parent[key] = str(value)
    return document


def _at(document: object, path: tuple) -> object:
    for key in path:
        document = document[key]
    return document


def check_table(table: pd.DataFrame) -> None:
    """The tidy frame table: id columns, then the 48 expressions, then any new names, once each."""
    assert isinstance(table, pd.DataFrame)
    columns = list(table.columns)
    assert columns[: len(ID_COLUMNS)] == list(ID_COLUMNS)
    assert columns[len(ID_COLUMNS) : len(ID_COLUMNS) + 48] == list(EXPRESSION_SLUGS)
    assert len(set(columns)) == len(columns), "a column appears twice"


def parse_current_or_error(response: object, times: list[float] | None, first: int) -> None:
    try:
        table = parse_current(response, "f" * 64, times, first)
    except BurnoutError as error:
        assert_message(error)
        return
    check_table(table)


def parse_legacy_or_error(data: object) -> None:
    try:
        found = parse_legacy(data, "f" * 64, source="fuzzed.json")
    except BurnoutError as error:
        assert_message(error)
        assert "fuzzed.json" in str(error), "the message does not name the file"
        return
    assert found and all(isinstance(p, LegacyPrediction) for p in found)
    for prediction in found:
        check_table(prediction.frames)


times = st.one_of(st.none(), st.lists(st.floats(), max_size=4))


@fuzz(300)
@given(response=json_values, times=times, first=st.integers(-5, 5))
def test_parse_current_any_json(response: object, times: list | None, first: int) -> None:
    parse_current_or_error(response, times, first)


@fuzz(500)
@given(response=mutated(CURRENT_BASE), times=times, first=st.integers(0, 5))
def test_parse_current_mutated_responses(response: object, times: list | None, first: int) -> None:
    parse_current_or_error(response, times, first)


@fuzz(300)
@given(data=json_values)
def test_parse_legacy_any_json(data: object) -> None:
    parse_legacy_or_error(data)


@fuzz(500)
@given(data=mutated(LEGACY_BASE))
def test_parse_legacy_mutated_files(data: object) -> None:
    parse_legacy_or_error(data)


@fuzz(300)
@given(raw=st.one_of(st.binary(max_size=100), json_values.map(json.dumps).map(str.encode)))
def test_load_json_any_bytes(raw: bytes) -> None:
    try:
        load_json(raw, source="fuzzed.json")
    except BurnoutError as error:
        assert_message(error)
        assert "fuzzed.json" in str(error)


def legacy_bytes(document: object) -> bytes:
    """As a file would hold it: NaN and infinity as the non-standard literals some writers use."""
    return json.dumps(document, allow_nan=True).encode()


def test_import_legacy_mutated_files(fuzz_hospital: Hospital) -> None:
    outcomes: Counter[str] = Counter()
    engine, settings = fuzz_hospital.engine, fuzz_hospital.settings
    stored = {"recording", "expression_summary"}

    @fuzz(400)
    @given(document=mutated(LEGACY_BASE))
    def check(document: object) -> None:
        path = fuzz_hospital.inputs / "predictions.json"
        path.write_bytes(legacy_bytes(document))
        before = table_sums(engine)
        try:
            results = import_legacy(engine, settings, path, PSEUDONYMS[0])
        except BurnoutError as error:
            assert_message(error)
            assert table_sums(engine) == before, "a refused file changed the database"
            outcomes["refused"] += 1
            return
        after = table_sums(engine)
        assert results and all(isinstance(r, ExtractResult) for r in results)
        assert {r.status for r in results} <= {"imported", "already stored"}
        new = sum(r.status == "imported" for r in results)
        assert changed_tables(before, after) <= stored
        for table in stored:
            assert after[table].rows == before[table].rows + new
        outcomes["imported"] += 1

    check()
    assert outcomes["imported"] > 0 and outcomes["refused"] > 0, outcomes


# --------------------------------------------------------------------------------------------
# The `burnout` command's arguments

#: Sub-commands that serve forever, or build, train on and report a whole hospital: not fuzzed
#: here (`test_evaluation.py` checks `evaluate`'s refusals).
NOT_FUZZED = {"dashboard", "fake-hume", "demo", "report", "train", "evaluate"}
COMMANDS = [
    "init-db", "mock", "mock-survey", "consent", "erase", "extract", "import-hume",
    "checkin import", "checkin template", "train", "score", "acknowledge", "checksum",
    "account add", "account list", "account remove", "promote", "evaluate", "channels",
]  # fmt: skip
FUZZED = [c for c in COMMANDS if c not in NOT_FUZZED]
CLI_TEXT = st.text(st.characters(exclude_categories=["Cs"], exclude_characters="\x00"), max_size=12)


ints = st.one_of(
    st.sampled_from([0, -1, 2**31, 2**63, 2**64, 10**9, 10**30, -(10**30)]).map(str),
    st.sampled_from(["", " 2", "1.5", "abc", "١", "1_0", "0x10", "9" * 5000]),
)
dates = mostly(
    days.map(date.isoformat),
    st.sampled_from(["", "2026-02-30", "2026-1-5", "20260105", "last", "2026-W02", "0000-00-00"])
    | CLI_TEXT,
)
moments = mostly(
    st.datetimes().map(lambda d: d.isoformat()) | st.just("2026-03-02T09:30+02:00"),
    st.sampled_from(["2026-03-02 25:00", "now", ""]) | CLI_TEXT,
)
floats = mostly(
    st.sampled_from(["0.5", "1", "3"]),
    st.sampled_from(["0", "-1", "3.0001", "nan", "inf", "-1e308", "x"]) | st.floats().map(str),
)
channels = mostly(st.sampled_from(["recording", "checkin"]), st.sampled_from(["Checkin", "", "x"]))


def sizes(valid: tuple[int, int], most: int) -> st.SearchStrategy[str]:
    """Mock sizes the product accepts quickly, or must refuse at once."""
    absurd = st.sampled_from([0, -1, most + 1, 10**9, 10**30]).map(str)
    return mostly(st.integers(*valid).map(str), absurd | ints)


@dataclass(frozen=True)
class Inputs:
    """Files and folders the fuzzed commands are pointed at."""

    root: Path

    def paths(self, valid: list[str]) -> st.SearchStrategy[str]:
        others = ["missing.csv", "folder", "junk.bin", "empty.csv", "folder/nested/x.json"]
        names = mostly(st.sampled_from(valid), st.sampled_from(others))
        return names.map(lambda name: str(self.root / name))


def make_inputs(hospital: Hospital) -> Inputs:
    root = hospital.inputs
    (root / "folder").mkdir()
    (root / "junk.bin").write_bytes(bytes(range(256)))
    (root / "empty.csv").write_bytes(b"")
    (root / "legacy.json").write_bytes(LEGACY_SAMPLE.read_bytes())
    broken = copy.deepcopy(LEGACY_BASE)
    broken[0]["results"]["predictions"][0]["models"]["face"]["grouped_predictions"] = 7
    (root / "broken.json").write_text(json.dumps(broken))
    (root / "clip.mp4").write_bytes(b"\x00\x00\x00\x18ftypmp42" + bytes(200))
    (root / "photo.jpg").write_bytes(b"\xff\xd8\xff\xe0not really")
    good = ",".join(VALID_HEADER) + "\n" + f"{PSEUDONYMS[1]},2026-01-05,0,25,50,75,100,50\n"
    (root / "good.csv").write_text(good)
    (root / "mixed.csv").write_text(good + f"{PSEUDONYMS[2]},2026-13-05,9,9,9,9,9,9\n")
    return Inputs(root)


@dataclass(frozen=True)
class CommandLine:
    """A fuzzed command line, and the sub-command it was built for."""

    command: str
    argv: list[str]
    #: the positional pseudonym (consent, erase), if one was given
    pseudonym: str | None = None


@st.composite
def command_lines(draw: st.DrawFn, inputs: Inputs, outside: Path) -> CommandLine:
    """A sub-command with fuzzed option values; now and then an option missing or unknown."""
    names = mostly(
        st.sampled_from(PSEUDONYMS),
        st.sampled_from(["", ".", "..", "../../outside", str(outside), "nobody-here-00"])
        | CLI_TEXT,
    )
    command = draw(st.sampled_from(FUZZED))
    positional: list[st.SearchStrategy[str]] = []
    #: option: (values, or None for a flag; whether the command requires it)
    options: dict[str, tuple[st.SearchStrategy[str] | None, bool]] = {}
    if command == "mock":
        options = {
            "--staff": (sizes((1, 3), MAX_STAFF), True),
            "--weeks": (sizes((1, 3), MAX_WEEKS), True),
            "--seed": (mostly(st.integers(0, 10**30).map(str), ints), False),
            "--start": (dates, False),
            "--frames": (sizes((1, 3), MAX_FRAMES_PER_RECORDING), False),
        }
    elif command == "mock-survey":
        out = mostly(
            CLI_TEXT.filter(lambda t: "/" not in t and not t.startswith(".")).map(
                lambda t: f"out/{t}"
            ),
            st.sampled_from(["", ".", "/", "out/a/b.csv", "inputs/junk.bin/x.csv", "inputs"]),
        )
        options = {
            "--rows": (sizes((1, 20), MAX_SURVEY_ROWS), False),
            "--seed": (mostly(st.integers(0, 99).map(str), ints), False),
            "--out": (out, True),
        }
    elif command == "consent":
        positional = [names]
        flag = draw(st.sampled_from(["--grant", "--revoke"]))
        options = {flag: (channels, True)}
        if draw(st.integers(0, 7)) == 0:
            options["--revoke" if flag == "--grant" else "--grant"] = (channels, True)
    elif command == "erase":
        positional = [names]
    elif command == "extract":
        files = inputs.paths(["clip.mp4", "photo.jpg", "good.csv"])
        positional = [files] * draw(st.integers(1, 2))
        options = {
            "--staff": (names, True),
            "--recorded-at": (moments, False),
            "--fps": (floats, False),
        }
    elif command == "import-hume":
        positional = [inputs.paths(["legacy.json", "broken.json"])]
        options = {"--staff": (names, True), "--recorded-at": (moments, False)}
    elif command == "checkin import":
        positional = [inputs.paths(["good.csv", "mixed.csv"])]
        options = {"--skip-invalid": (None, False)}
    elif command == "score":
        options = {
            "--week": (dates, True),
            "--model": (mostly(st.integers(1, 3).map(str), ints), False),
        }
    elif command in ("acknowledge", "promote"):
        positional = [mostly(st.integers(1, 3).map(str), ints)]
        if command == "promote":
            options = {"--force": (None, False)}
    elif command in ("account add", "account remove"):
        logins = mostly(st.sampled_from(["ana@hospital", "lead@hospital"]), CLI_TEXT | names)
        positional = [logins]
        if command == "account add":
            role = draw(st.sampled_from(["--staff", "--manager", "--occupational-health",
                                         "--analyst"]))  # fmt: skip
            unit_names = list(UNITS)
            units = mostly(st.sampled_from(unit_names), CLI_TEXT | st.just(",".join(unit_names)))
            values = {"--staff": names, "--manager": units}.get(role)
            options = {role: (values, True)}
    argv = command.split()
    pseudonym = None
    for strategy in positional:
        if draw(st.integers(0, 7)):
            argv.append(draw(strategy))
            pseudonym = argv[-1] if strategy is names else None
    for option, (values, required) in options.items():
        if draw(st.integers(0, 7 if required else 1)):
            argv += [option] if values is None else [option, draw(values)]
    if draw(st.integers(0, 7)) == 0:
        extra = draw(st.sampled_from(["--bogus", "--staff", "-x", "--", "stray", "--quiet"]))
        argv.insert(draw(st.integers(0, len(argv))), extra)
    return CommandLine(command, argv, pseudonym)


def test_every_sub_command_is_fuzzed_or_excluded() -> None:
    """A new sub-command is fuzzed too, or excluded here on purpose."""
    parser = build_parser()
    found = set()
    for action in parser._subparsers._group_actions:
        for name, sub in action.choices.items():
            nested = [a for a in sub._actions if isinstance(a, argparse._SubParsersAction)]
            found |= {f"{name} {n}" for a in nested for n in a.choices} or {name}
    assert found == set(COMMANDS) | NOT_FUZZED


@dataclass
class Run:
    """How one in-process `burnout` run ended."""

    code: int
    raised: bool  # ended by SystemExit rather than by main's return value
    stdout: str
    stderr: str


def run_cli(argv: list[str]) -> Run:
    out, err = io.StringIO(), io.StringIO()
    raised = False
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main(argv)
        except SystemExit as stop:
            code, raised = stop.code, True
    return Run(code, raised, out.getvalue(), err.getvalue())


def files_under(root: Path) -> set[Path]:
    return {p for p in root.rglob("*") if p.is_file() and ".db" not in p.name}


ARGUMENT_ERROR = re.compile(r"burnout[\w -]*: error: .+ \(see burnout[\w -]* --help\)")


def check_run(command: str, argv: list[str], run: Run) -> None:
    """Exit status 0, 1 (one `burnout: error:` line) or 2 (argparse, one line); no traceback.

    Two commands say more before their error: `checkin import` lists the file's bad rows, and
    `extract` names each file that failed (and exits 1 itself once all were tried).
    """
    lines = run.stderr.splitlines()
    assert "Traceback" not in run.stderr, run.stderr
    if run.raised and run.code == 2:
        assert len(lines) == 1 and ARGUMENT_ERROR.fullmatch(lines[0]), run.stderr
        return
    if run.raised and run.code == 0:
        assert any(a.startswith(("-h", "--h")) for a in argv), "exit 0 without --help"
        return
    assert run.code in (0, 1), (run.code, run.stderr)
    assert not run.raised or command == "extract", "SystemExit other than from argparse"
    if run.code == 1:
        assert lines and re.fullmatch(r"burnout: error: \S.*", lines[-1]), run.stderr
        if command == "checkin import":
            assert all(re.match(r"\S+: line \d+", line) for line in lines[:-1]), run.stderr
        elif command == "extract":
            assert all(line.startswith("burnout: error: ") for line in lines), run.stderr
        else:
            assert len(lines) == 1, run.stderr


def test_cli_arguments(fuzz_hospital: Hospital) -> None:
    engine, settings = fuzz_hospital.engine, fuzz_hospital.settings
    inputs = make_inputs(fuzz_hospital)
    outside = fuzz_hospital.root / "outside"
    outside.mkdir()
    (outside / "keep.txt").write_text("not the product's")
    common = ["--db", settings.db_url, "--data-dir", str(settings.data_dir), "--quiet"]
    outcomes: Counter[tuple[str, int]] = Counter()

    @fuzz(500)
    @given(line=command_lines(inputs, outside))
    def check(line: CommandLine) -> None:
        before, files = table_sums(engine), files_under(fuzz_hospital.root)
        run = run_cli(common + line.argv)
        check_run(line.command, line.argv, run)
        outcomes[line.command, run.code] += 1
        if run.code != 0:
            assert table_sums(engine) == before, "a failed command changed the database"
        removed = files - files_under(fuzz_hospital.root)
        if removed:  # only a successful erasure removes files, and only that person's
            assert line.command == "erase" and run.code == 0, removed
            assert line.pseudonym in PSEUDONYMS, f"erase {line.pseudonym!r} removed {removed}"
            person = settings.frames_dir / line.pseudonym
            assert all(p.is_relative_to(person) for p in removed), removed

    check()
    assert {code for _, code in outcomes} == {0, 1, 2}, outcomes
    past_parsing = {command for command, code in outcomes if code != 2}
    assert past_parsing == set(FUZZED), f"never past argument parsing: {set(FUZZED) - past_parsing}"


# --------------------------------------------------------------------------------------------
# Edge cases the properties cover, pinned down one by one


def test_checkin_file_with_only_a_header_imports_nothing(fuzz_hospital: Hospital) -> None:
    path = fuzz_hospital.inputs / "header.csv"
    path.write_text(",".join(VALID_HEADER) + "\n")
    before = table_sums(fuzz_hospital.engine)
    report = import_checkins(fuzz_hospital.engine, path)
    assert (report.rows, report.imported, report.errors) == (0, 0, [])
    assert table_sums(fuzz_hospital.engine) == before


def test_unreadable_checkin_file_is_one_line(fuzz_hospital: Hospital) -> None:
    """The CSV parser's own message ends in a line break; the command prints one line."""
    path = fuzz_hospital.inputs / "ragged.csv"
    path.write_text("pseudonym,week\na,b\na,b,c,d\n")
    db_url, data = fuzz_hospital.settings.db_url, str(fuzz_hospital.settings.data_dir)
    run = run_cli(["--db", db_url, "--data-dir", data, "checkin", "import", str(path)])
    assert (run.code, run.raised) == (1, False)
    assert run.stderr == (
        "burnout: error: ragged.csv: not a readable CSV file (Error tokenizing data. "
        "C error: Expected 2 fields in line 3, saw 4)\n"
    )


def test_checkin_week_in_year_zero_is_a_bad_row(fuzz_hospital: Hospital) -> None:
    """Year 0 parses as a timestamp but is no calendar date."""
    path = fuzz_hospital.inputs / "year0.csv"
    rows = [f"{PSEUDONYMS[0]},0000-01-01,0,0,0,0,0,0", f"{PSEUDONYMS[1]},0001-01-03,0,0,0,0,0,0"]
    path.write_text("\n".join([",".join(VALID_HEADER), *rows]) + "\n")
    with pytest.raises(InvalidCheckinFile) as refused:
        import_checkins(fuzz_hospital.engine, path)
    assert [str(e) for e in refused.value.report.errors] == [
        "line 2, column 'week': '0000-01-01' is not a date (YYYY-MM-DD) or ISO week"
    ]
    report = import_checkins(fuzz_hospital.engine, path, skip_invalid=True)
    assert report.imported == 1
    with fuzz_hospital.engine.connect() as connection:
        weeks = connection.execute(
            select(db.checkin.c.week_start)
            .join(db.staff)
            .where(db.staff.c.pseudonym == PSEUDONYMS[1], db.checkin.c.source == "import")
        ).scalars()
        assert list(weeks) == [date(1, 1, 1)]


def test_mock_with_nobody_recording(fuzz_hospital: Hospital) -> None:
    """A chunk of staff in which nobody consented to recordings has no frames to write."""
    spec = MockSpec(staff=1, weeks=1, seed=0)
    assert not generate_hospital(spec).truth["consent_recording"].any()
    result = write_mock(fuzz_hospital.engine, fuzz_hospital.settings, spec, progress=False)
    assert (result.staff, result.recordings) == (1, 0)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"weeks": MAX_WEEKS + 1}, f"weeks must be at most {MAX_WEEKS}"),
        ({"weeks": 10**9}, "weeks must be at most"),
        ({"frames_per_recording": 10**9}, "frames-per-recording must be at most"),
        ({"start": date(9999, 12, 20), "weeks": 3}, "start 9999-12-20 with 3 weeks"),
        ({"start": date(1, 1, 1)}, "outside the calendar"),
    ],
)
def test_mock_refuses_absurd_sizes_and_dates(kwargs: dict, message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        MockSpec(**{"staff": 1, "weeks": 1, **kwargs})


FACE = {"face_id": 0, "bbox": [1, 2, 3, 4], "confidence": 0.9}


@pytest.mark.parametrize(
    ("face", "message"),
    [
        (["not", "a", "face"], "AttributeError"),
        ({**FACE, "expressions": [{"name": {"a": 1}, "probability": 0.5}]}, "is not text"),
        ({**FACE, "expressions": [{"name": "Frame", "probability": 0.5}]}, "clashes"),
        ({**FACE, "confidence": 10**400, "expressions": []}, "OverflowError"),
    ],
)
def test_current_response_faults_are_invalid_input(face: object, message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        parse_current({"measurements": [{"faces": [face]}]}, "abc")


def _legacy_frames(*frames: object) -> list:
    document = copy.deepcopy(LEGACY_BASE)
    group = document[0]["results"]["predictions"][0]["models"]["face"]["grouped_predictions"][0]
    for item, frame in zip(group["predictions"], frames, strict=False):
        item["frame"] = frame
    return document


@pytest.mark.parametrize(
    ("frames", "message"),
    [
        ((float("inf"),), "job 0: OverflowError"),
        ((-1, 2**64 - 1), "frame -1 is not a frame number"),
        ((2**63,), "frame 9223372036854775808 is not a frame number"),
    ],
)
def test_legacy_frame_numbers_out_of_range(frames: tuple, message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        parse_legacy(_legacy_frames(*frames), "abc", source="saved.json")


def test_legacy_import_of_huge_frame_numbers_writes_nothing(fuzz_hospital: Hospital) -> None:
    """A frame number a Parquet column cannot hold is refused before anything is stored."""
    path = fuzz_hospital.inputs / "saved.json"
    path.write_text(json.dumps(_legacy_frames(-1, 2**64 - 1)))
    before = table_sums(fuzz_hospital.engine)
    with pytest.raises(InvalidInput, match="saved.json: .*frame -1"):
        import_legacy(fuzz_hospital.engine, fuzz_hospital.settings, path, PSEUDONYMS[0])
    assert table_sums(fuzz_hospital.engine) == before
    assert not (fuzz_hospital.settings.person_dir(PSEUDONYMS[0]) / "frames").exists()


@pytest.mark.parametrize("pseudonym", ["", ".", "..", "../../outside", "OUTSIDE", "a/b"])
def test_erase_refuses_what_is_not_one_folder(fuzz_hospital: Hospital, pseudonym: str) -> None:
    """Else `erase ''` would remove every person's files, and `erase ../..` whatever is there."""
    outside = fuzz_hospital.root / "outside"
    outside.mkdir()
    (outside / "keep.txt").write_text("keep")
    pseudonym = str(outside) if pseudonym == "OUTSIDE" else pseudonym
    files = files_under(fuzz_hospital.root)
    db_url, data = fuzz_hospital.settings.db_url, str(fuzz_hospital.settings.data_dir)
    run = run_cli(["--db", db_url, "--data-dir", data, "erase", pseudonym])
    assert (run.code, run.raised) == (1, False)
    refusal = f"burnout: error: {pseudonym!r} is not a pseudonym (it must name one folder)\n"
    assert run.stderr == refusal
    assert files_under(fuzz_hospital.root) == files


@pytest.mark.parametrize(
    ("argv", "code", "message"),
    [
        (["acknowledge", "99999999999999999999"], 2, "is not an id"),
        (["score", "--week", "2026-01-05", "--model", str(2**63)], 2, "is not an id"),
        (["acknowledge", "0"], 2, "'0' is not an id (1 to"),
        (["mock-survey", "--rows", "1000000000", "--out", "x.csv"], 1, "rows must be at most"),
        (["mock-survey", "--out", "."], 1, "Is a directory: '.'"),
        (["mock-survey", "--seed", "-1", "--out", "x.csv"], 1, "seed must not be negative"),
        (["mock", "--staff", "1", "--weeks", "1000000000"], 1, "weeks must be at most 520"),
        (["mock", "--staff", "1", "--weeks", "2", "--start", "9999-12-27"], 1, "calendar"),
    ],
)
def test_cli_refusals_are_one_line(
    fuzz_hospital: Hospital, argv: list[str], code: int, message: str
) -> None:
    before = table_sums(fuzz_hospital.engine)
    db_url, data = fuzz_hospital.settings.db_url, str(fuzz_hospital.settings.data_dir)
    run = run_cli(["--db", db_url, "--data-dir", data, *argv])
    assert run.code == code and run.raised == (code == 2)
    lines = run.stderr.splitlines()
    assert len(lines) == 1 and message in lines[0], run.stderr
    assert table_sums(fuzz_hospital.engine) == before


def test_train_on_a_small_hospital_is_a_result_or_a_user_error(fuzz_hospital: Hospital) -> None:
    """Training takes seconds, too long to fuzz; on a hospital where nobody has a baseline yet
    (every deviation column empty) it trains or refuses in one line."""
    db_url, data = fuzz_hospital.settings.db_url, str(fuzz_hospital.settings.data_dir)
    before = table_sums(fuzz_hospital.engine)
    run = run_cli(["--db", db_url, "--data-dir", data, "--quiet", "train"])
    check_run("train", ["train"], run)
    assert run.code == 0 or table_sums(fuzz_hospital.engine) == before
