"""`burnout checkin import`: every row checked, bad files rejected whole, good ones upserted."""

import datetime as dt

import pandas as pd
import pytest
from sqlalchemy import select

from burnout_lib.errors import InvalidInput
from burnout_lib.mock.hospital import MockSpec, write_mock
from burnout_lib.privacy.consent import set_consent
from burnout_lib.sources.checkins import InvalidCheckinFile, import_checkins, template
from burnout_lib.store import db


@pytest.fixture
def people(engine, settings) -> list[str]:
    """Three staff members with check-in consent, and one without (the last)."""
    write_mock(engine, settings, MockSpec(staff=4, weeks=1, seed=9), progress=False)
    with engine.connect() as connection:
        names = connection.execute(select(db.staff.c.pseudonym).order_by(db.staff.c.id)).scalars()
        names = list(names)
    for name in names[:3]:
        set_consent(engine, name, "checkin", granted=True)
    set_consent(engine, names[3], "checkin", granted=False)
    return names


def imported(engine) -> pd.DataFrame:
    with engine.connect() as connection:
        query = (
            select(db.staff.c.pseudonym, db.checkin)
            .join(db.staff)
            .where(db.checkin.c.source == "import")
            .order_by(db.staff.c.pseudonym, db.checkin.c.week_start)
        )
        return pd.read_sql(query, connection)


def write(tmp_path, text: str, name: str = "checkins.csv"):
    path = tmp_path / name
    path.write_text(text)
    return path


HEADER = "pseudonym,week,personal_1,personal_2,personal_3,personal_4,personal_5,personal_6\n"


def test_labels_numbers_dates_and_iso_weeks(engine, people, tmp_path) -> None:
    a, b, c, _ = people
    path = write(
        tmp_path,
        HEADER
        + f"{a},2026-03-04,Often,Often,Sometimes,Seldom,Often,Never/almost never\n"
        + f"{b},2026-W10,100,75,,,,50\n"
        + f"{c},2026-03-02,25,,,,,\n",
    )
    report = import_checkins(engine, path)
    assert (report.rows, report.imported, report.errors) == (3, 3, [])
    rows = imported(engine).set_index("pseudonym")
    assert set(rows.week_start.astype(str)) == {"2026-03-02"}, "any day or ISO week -> Monday"
    assert rows.loc[a, "score"] == pytest.approx((75 + 75 + 50 + 25 + 75 + 0) / 6)
    assert rows.loc[b, "score"] == pytest.approx(75.0)
    assert pd.isna(rows.loc[c, "score"]), "one answer is too few for a score"
    assert rows.loc[a, "personal_6"] == 0 and pd.isna(rows.loc[b, "personal_2"]) is False


def test_reimport_updates_instead_of_duplicating(engine, people, tmp_path) -> None:
    a = people[0]
    import_checkins(engine, write(tmp_path, HEADER + f"{a},2026-03-02,0,0,0,0,0,0\n"))
    import_checkins(engine, write(tmp_path, HEADER + f"{a},2026-03-02,0,0,0,0,0,0\n"))
    assert len(imported(engine)) == 1
    import_checkins(engine, write(tmp_path, HEADER + f"{a},2026-03-05,100,100,100,,,\n"))
    rows = imported(engine)
    assert len(rows) == 1 and rows.score.iloc[0] == 100.0


BAD_FILES = {
    "unknown pseudonym": (
        HEADER + "{a},2026-03-02,0,0,0,0,0,0\nghost-owl-99,2026-03-02,0,0,0,0,0,0\n",
        [(3, "pseudonym", "is not a known staff pseudonym")],
    ),
    "answer outside the scale": (
        HEADER + "{a},2026-03-02,0,60,0,Very often,0,0\n",
        [(2, "personal_2", "is not an answer"), (2, "personal_4", "is not an answer")],
    ),
    "duplicate person and week": (
        HEADER + "{a},2026-03-02,0,0,0,0,0,0\n{b},2026-03-02,0,0,0,0,0,0\n"
        "{a},2026-03-04,25,25,25,25,25,25\n",
        [(4, "week", "repeats a (pseudonym, week) already given on line 2")],
    ),
    "bad week": (HEADER + "{a},03/02/2026,0,0,0,0,0,0\n", [(2, "week", "is not a date")]),
    "no consent": (
        HEADER + "{d},2026-03-02,0,0,0,0,0,0\n",
        [(2, "pseudonym", "has not consented to check-ins")],
    ),
}


@pytest.mark.parametrize("case", list(BAD_FILES))
def test_bad_files_are_reported_and_change_nothing(engine, people, tmp_path, case) -> None:
    text, expected = BAD_FILES[case]
    a, b, _, d = people
    path = write(tmp_path, text.format(a=a, b=b, d=d))
    before = db.row_counts(engine)
    with pytest.raises(InvalidCheckinFile) as caught:
        import_checkins(engine, path)
    found = [(e.line, e.column, e.reason) for e in caught.value.report.errors]
    assert len(found) == len(expected), found
    for (line, column, reason), (want_line, want_column, want_reason) in zip(
        found, expected, strict=True
    ):
        assert (line, column) == (want_line, want_column) and reason.startswith(want_reason)
    assert db.row_counts(engine) == before
    assert "nothing imported" in str(caught.value) and "checkins.csv" in str(caught.value)


def test_non_utf8_bytes_are_reported_with_their_line(engine, people, tmp_path) -> None:
    path = tmp_path / "latin1.csv"
    path.write_bytes(
        HEADER.encode() + f"{people[0]},2026-03-02,0,0,0,0,0,0\n".encode() + b"Jos\xe9,2026-03-02\n"
    )
    before = db.row_counts(engine)
    with pytest.raises(InvalidCheckinFile) as caught:
        import_checkins(engine, path)
    [error] = caught.value.report.errors
    assert (error.line, error.value) == (3, "0xe9") and "not UTF-8" in error.reason
    assert db.row_counts(engine) == before


def test_skip_invalid_imports_good_rows_and_lists_bad_ones(engine, people, tmp_path) -> None:
    a, b, _, d = people
    path = write(
        tmp_path,
        HEADER
        + f"{a},2026-03-02,0,0,0,0,0,0\n{d},2026-03-02,0,0,0,0,0,0\n{b},2026-03-02,0,0,0,0,0,0\n",
    )
    report = import_checkins(engine, path, skip_invalid=True)
    assert report.imported == 2 and [e.line for e in report.errors] == [3]
    assert set(imported(engine).pseudonym) == {a, b}
    assert report.summary() == "checkins.csv: 2 of 3 check-ins imported, 1 bad row skipped"


EXPECTED = (
    "(expected pseudonym, week (or date), personal_1 to personal_6, and optionally work_1 to "
    "work_7 and answered_at, in any letter case)"
)
BAD_HEADERS = {
    "Pseudonym,Week,Tired": "unknown column Tired; no personal_1 to personal_6",
    "pseudonym,week,personal_1,personal_2,personl_3,personal_4,personal_5,personal_6": (
        "unknown column personl_3; no personal_3"
    ),
    "who,week": "unknown column who; no pseudonym, personal_1 to personal_6",
    "pseudonym,personal_1,personal_2,personal_3,personal_4,personal_5,personal_6": "no week",
    "pseudonym,Week,date,week,personal_1,personal_2,personal_3,personal_4,personal_5,personal_6": (
        "both week and date; week more than once"
    ),
}


@pytest.mark.parametrize("header", list(BAD_HEADERS))
def test_a_broken_header_is_one_line_and_never_skipped(engine, people, tmp_path, header) -> None:
    path = write(tmp_path, f"{header}\n{people[0]},2026-03-02,0,0,0,0,0,0\n")
    before = db.row_counts(engine)
    with pytest.raises(InvalidInput) as caught:
        import_checkins(engine, path, skip_invalid=True)
    assert str(caught.value) == f"checkins.csv: the header has {BAD_HEADERS[header]} {EXPECTED}"
    assert db.row_counts(engine) == before


def test_column_names_are_read_in_any_letter_case(engine, people, tmp_path) -> None:
    header = "Pseudonym,WEEK,Personal_1,personal_2,PERSONAL_3,personal_4,personal_5,Personal_6"
    report = import_checkins(
        engine, write(tmp_path, f"{header}\n{people[0]},2026-03-02,0,0,0,0,0,0\n")
    )
    assert report.imported == 1 and imported(engine).pseudonym.tolist() == [people[0]]


def test_cli_says_what_is_wrong_with_a_header_in_one_line(cli, engine, people, tmp_path) -> None:
    path = write(tmp_path, "Pseudonym,Week,Tired\nx,2026-03-02,1\n")
    result = cli("checkin", "import", str(path), check=False)
    assert result.returncode == 1
    assert result.stderr == (
        "burnout: error: checkins.csv: the header has unknown column Tired; no personal_1 to "
        f"personal_6 {EXPECTED}\n"
    )


def test_template_imports_once_filled_in(engine, people, tmp_path) -> None:
    text = template().replace("calm-heron-42", people[0]).replace("brisk-otter-07", people[1])
    report = import_checkins(engine, write(tmp_path, text))
    assert report.imported == 2
    assert imported(engine).week_start.tolist() == [dt.date(2026, 3, 2)] * 2


def test_cli_reports_every_bad_row(cli, engine, people, tmp_path) -> None:
    a = people[0]
    path = write(
        tmp_path,
        HEADER + f"{a},2026-03-02,0,0,0,7,0,0\nghost-owl-99,2026-03-02,0,0,0,0,0,0\n",
    )
    result = cli("checkin", "import", str(path), check=False)
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert lines[0].startswith("checkins.csv: line 2, column 'personal_4': '7' is not an answer")
    assert lines[1].startswith("checkins.csv: line 3, column 'pseudonym': 'ghost-owl-99'")
    assert lines[-1].startswith("burnout: error: checkins.csv: 2 bad rows of 2, nothing imported")
    ok = cli("checkin", "import", str(path), "--skip-invalid")
    assert "0 of 2 check-ins imported, 2 bad rows skipped" in ok.stdout
    assert cli("checkin", "template").stdout == template()
