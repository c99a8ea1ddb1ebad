"""Weekly check-ins from a CSV file: a template, validation of every row, scoring, and an upsert.

A file is checked whole before anything is written. With bad rows it is rejected with a report of
every one of them (line, column, value, why), unless the caller asks to skip them; then the good
rows land and the bad ones are listed. Re-importing a file updates the same (person, week) rows.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from sqlalchemy import select
from sqlalchemy.engine import Connection, Engine

from burnout_lib.errors import InvalidInput
from burnout_lib.privacy.consent import consenting
from burnout_lib.sources.instruments import ANSWER_SCORES, PERSONAL, WORK, score
from burnout_lib.store import db
from burnout_lib.store.transactions import write_transaction

REQUIRED = ("pseudonym", *PERSONAL.columns)
OPTIONAL = (*WORK.columns, "answered_at")
WEEK_COLUMNS = ("week", "date")


@dataclass(frozen=True)
class RowError:
    """One problem in the file: the line it is on (the header is line 1), column, value, why."""

    line: int
    column: str
    value: str
    reason: str

    def __str__(self) -> str:
        where = f"line {self.line}" + (f", column {self.column!r}" if self.column else "")
        return f"{where}: {self.value!r} {self.reason}"


@dataclass
class ImportReport:
    """What an import did, or would have done."""

    file: str
    rows: int = 0
    imported: int = 0
    #: of the imported rows, how many were new or changed (the rest were stored exactly so)
    written: int = 0
    errors: list[RowError] = field(default_factory=list)

    @property
    def bad_lines(self) -> int:
        return len({e.line for e in self.errors})

    def summary(self) -> str:
        skipped = f", {_rows(self.bad_lines)} skipped" if self.errors else ""
        same = self.imported - self.written
        if self.imported and not self.written:
            skipped += "; all were stored already exactly so (by an earlier or concurrent import)"
        elif same:
            skipped += f"; {same:,} were stored already exactly so"
        return f"{self.file}: {self.imported:,} of {self.rows:,} check-ins imported{skipped}"


class InvalidCheckinFile(InvalidInput):
    """The file has bad rows; `report` lists every one and nothing was written."""

    def __init__(self, report: ImportReport) -> None:
        self.report = report
        super().__init__(
            f"{report.file}: {_rows(report.bad_lines)} of {report.rows:,}, nothing imported "
            "(fix them, or use --skip-invalid to import the good rows)"
        )


def _rows(count: int) -> str:
    return f"{count:,} bad row" + ("" if count == 1 else "s")


def template() -> str:
    """A CSV template: the columns, and two example rows (answers as labels or as scores)."""
    items = PERSONAL.items
    rows = [
        ["pseudonym", "week", *PERSONAL.columns],
        ["calm-heron-42", "2026-03-02", *(list(item.labels)[2] for item in items)],
        ["brisk-otter-07", "2026-03-02", "75", "50", "50", "25", "", "25"],
    ]
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(rows)
    return buffer.getvalue()


def _decode(raw: bytes, name: str) -> str:
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = raw[: error.start].count(b"\n") + 1
        byte = raw[error.start : error.start + 1].hex()
        report = ImportReport(name, errors=[RowError(line, "", f"0x{byte}", "is not UTF-8 text")])
        raise InvalidCheckinFile(report) from None


def _read(path: Path) -> pd.DataFrame:
    name = path.name
    if not path.is_file():
        raise InvalidInput(f"{path}: no such file")
    text = _decode(path.read_bytes(), name)
    if not text.strip():
        raise InvalidInput(f"{name}: the file is empty")
    try:
        header = next(csv.reader(io.StringIO(text)))
        frame = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False, na_filter=False)
    except (pd.errors.ParserError, csv.Error) as error:
        reason = " ".join(str(error).split())  # the parser's message ends in a line break
        raise InvalidInput(f"{name}: not a readable CSV file ({reason})") from None
    frame.columns = [column.strip() for column in header]  # as written: pandas renames repeats
    return frame


#: What a check-in file's header holds, for the message about a header that does not.
EXPECTED_COLUMNS = (
    "pseudonym, week (or date), personal_1 to personal_6, and optionally work_1 to work_7 and "
    "answered_at, in any letter case"
)


def header_problem(header: list[str]) -> str | None:
    """What is wrong with a check-in file's header, in one sentence; or None. Names are matched
    in any letter case. A file whose header is wrong has no row that could be read, so it is
    refused whole."""
    known = set(REQUIRED) | set(OPTIONAL) | set(WEEK_COLUMNS)
    columns = [name.lower() for name in header]
    # a name with a line break or other unprintable character is shown quoted, on one line
    unknown = [n if n.isprintable() else repr(n) for n in header if n.lower() not in known]
    missing = [c for c in REQUIRED if c not in columns]
    if set(PERSONAL.columns) <= set(missing):
        missing = [c for c in missing if c not in PERSONAL.columns] + [
            f"{PERSONAL.columns[0]} to {PERSONAL.columns[-1]}"
        ]
    weeks = [c for c in WEEK_COLUMNS if c in columns]
    repeated = sorted({c if c.isprintable() else repr(c) for c in columns if columns.count(c) > 1})
    problems = []
    if unknown:
        problems.append(f"unknown column{'s' * (len(unknown) > 1)} {', '.join(unknown)}")
    if missing or not weeks:
        lacking = missing[:1] + (["week"] if not weeks else []) + missing[1:]
        problems.append(f"no {', '.join(lacking)}")
    if len(weeks) > 1:
        problems.append("both week and date")
    if repeated:
        problems.append(f"{', '.join(repeated)} more than once")
    if not problems:
        return None
    return f"the header has {'; '.join(problems)} (expected {EXPECTED_COLUMNS})"


def _answers(values: pd.Series, labels: dict[str, int]) -> tuple[pd.Series, pd.Series]:
    """Answer scores from labels or numbers; and which non-empty values were neither."""
    text = values.str.strip()
    by_label = text.str.lower().map({k.lower(): v for k, v in labels.items()})
    by_number = pd.to_numeric(text, errors="coerce")
    by_number = by_number.where(by_number.isin(ANSWER_SCORES))
    parsed = by_label.fillna(by_number).astype("float64")
    bad = (text != "") & parsed.isna()
    return parsed, bad


def _weeks(values: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Monday of each week, from a date (any day of the week) or an ISO week (2026-W10)."""
    text = values.str.strip()
    iso_week = text.str.fullmatch(r"\d{4}-W\d{2}")
    dates = pd.to_datetime(text.where(~iso_week), format="%Y-%m-%d", errors="coerce")
    weeks = pd.to_datetime(text.where(iso_week) + "-1", format="%G-W%V-%u", errors="coerce")
    moment = dates.fillna(weeks)
    monday = moment - pd.to_timedelta(moment.dt.day_of_week, unit="D")
    bad = monday.isna() | ~monday.dt.year.between(1, 9999)  # year 0 parses, but is no date
    return monday.where(~bad).dt.date, bad


def validate(engine: Engine, path: Path) -> tuple[pd.DataFrame, ImportReport]:
    """Check every row of a file; returns the good rows, ready to store, and the report."""
    return validate_rows(engine, _read(path), path.name)


def validate_rows(
    engine: Engine, frame: pd.DataFrame, name: str, source: str = "import"
) -> tuple[pd.DataFrame, ImportReport]:
    """Check every row of check-ins given as text, the columns of a check-in file (a file, or
    the one row of a person's check-in form); returns the good rows, ready for
    `store_checkins` with `source` as their origin, and the report (named `name`)."""
    report = ImportReport(name, rows=len(frame))
    problem = header_problem(list(frame.columns))
    if problem is not None:
        raise InvalidInput(f"{name}: {problem}")
    frame = frame.set_axis([column.lower() for column in frame.columns], axis="columns")
    lines = pd.Series(np.arange(2, len(frame) + 2), index=frame.index)
    problems: list[pd.DataFrame] = []

    def flag(mask: pd.Series, column: str, values: pd.Series, reason: str | pd.Series) -> None:
        if mask.any():
            if isinstance(reason, pd.Series):
                reason = reason[mask]
            problems.append(
                pd.DataFrame({"line": lines[mask], "column": column,
                              "value": values[mask], "reason": reason})
            )  # fmt: skip

    out = pd.DataFrame(index=frame.index)
    people = _people(engine, frame["pseudonym"].str.strip().unique())
    pseudonym = frame["pseudonym"].str.strip()
    known = pseudonym.map(lambda p: p in people).astype(bool)  # bool even with no rows
    flag(~known, "pseudonym", frame["pseudonym"], "is not a known staff pseudonym")
    consented = pseudonym.map(lambda p: people.get(p, (None, False))[1]).astype(bool)
    flag(known & ~consented, "pseudonym", frame["pseudonym"], "has not consented to check-ins")
    out["staff_id"] = pseudonym.map(lambda p: people.get(p, (None, False))[0])

    week_column = next(c for c in WEEK_COLUMNS if c in frame.columns)
    out["week_start"], bad_week = _weeks(frame[week_column])
    flag(bad_week, week_column, frame[week_column], "is not a date (YYYY-MM-DD) or ISO week")

    for item in PERSONAL.items + WORK.items:
        if item.column in frame.columns:
            out[item.column], bad = _answers(frame[item.column], item.labels)
            allowed = "/".join(str(v) for v in ANSWER_SCORES)
            flag(bad, item.column, frame[item.column], f"is not an answer ({allowed} or a label)")
        else:
            out[item.column] = np.nan

    if "answered_at" in frame.columns:
        stamps = pd.to_datetime(frame["answered_at"].str.strip(), utc=True, errors="coerce")
        bad = (frame["answered_at"].str.strip() != "") & stamps.isna()
        flag(bad, "answered_at", frame["answered_at"], "is not an ISO date and time")
        out["answered_at"] = stamps

    key = pseudonym + "|" + out["week_start"].astype(str)
    repeated = key.duplicated(keep="first") & ~bad_week
    first_line = lines.groupby(key).transform("min")
    flag(repeated, week_column, frame[week_column],
         "repeats a (pseudonym, week) already given on line " + first_line.astype(str))  # fmt: skip

    if problems:
        table = pd.concat(problems).sort_values(["line", "column"], kind="stable")
        report.errors = [RowError(*row) for row in table.itertuples(index=False, name=None)]
        bad_lines = set(table["line"])
        out = out[~lines.isin(bad_lines)]
    out["score"] = score(out, PERSONAL)
    out["work_score"] = (
        score(out, WORK) if any(c in frame.columns for c in WORK.columns) else np.nan
    )
    for column in PERSONAL.columns + WORK.columns:
        out[column] = out[column].astype("Int16")
    out["source"] = source
    return out, report


def store_checkins(connection: Connection, rows: pd.DataFrame) -> int:
    """Inside a write transaction: upsert validated check-ins on (person, week); how many rows
    were new or changed."""
    return db.upsert(connection, db.checkin, rows, ("staff_id", "week_start"))


def _store_then(
    connection: Connection,
    rows: pd.DataFrame,
    then: Callable[[Connection, pd.DataFrame], object] | None,
) -> int:
    written = store_checkins(connection, rows)
    if then is not None:
        then(connection, rows)
    return written


def _people(engine: Engine, pseudonyms) -> dict[str, tuple[int, bool]]:
    """pseudonym -> (staff id, check-in consent granted) for the pseudonyms in the file."""
    granted = db.staff.c.id.in_(consenting("checkin")).label("granted")
    query = select(db.staff.c.pseudonym, db.staff.c.id, granted)
    found: dict[str, tuple[int, bool]] = {}
    names = [p for p in pseudonyms if p]
    with engine.connect() as connection:
        for start in range(0, len(names), 5000):
            chunk = names[start : start + 5000]
            for pseudonym, ident, granted in connection.execute(
                query.where(db.staff.c.pseudonym.in_(chunk))
            ):
                found[pseudonym] = (ident, bool(granted))
    return found


def import_checkins(
    engine: Engine,
    path: Path,
    skip_invalid: bool = False,
    then: Callable[[Connection, pd.DataFrame], object] | None = None,
) -> ImportReport:
    """Validate and store a check-in file in one transaction; see the module docstring. `then`
    runs in the same transaction on the stored rows (the CLI raises the check-ins' urgent
    alerts with it, so they are raised with the answers or not at all)."""
    db.require_schema(engine)
    path = Path(path)
    rows, report = validate(engine, path)
    if report.errors and not skip_invalid:
        raise InvalidCheckinFile(report)
    if len(rows):
        report.written = write_transaction(
            engine,
            lambda connection: _store_then(connection, rows, then),
            f"importing check-ins from {path.name}",
        )
    report.imported = len(rows)
    return report
