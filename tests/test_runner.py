"""`burnout report` (report/runner.py): score the week, archive the HTML, the index, failures; the
rules page shipped next to the reports; the named edition readable by its owner only."""

from __future__ import annotations

import json
import os
import re
import stat
import time
from datetime import date, timedelta

import nbformat
import pytest
from sqlalchemy import select

from burnout_lib.config import load_settings
from burnout_lib.mock.hospital import MockSpec, write_mock
from burnout_lib.report import runner
from burnout_lib.report.runner import ReportFailed, run_report
from burnout_lib.risk.features import weekly_features
from burnout_lib.risk.model import save_model, train
from burnout_lib.risk.scoring import last_complete_week, score_people, unscored_people
from burnout_lib.store import db

from helpers.html_page import Page

NOTEBOOK = runner.NOTEBOOK


@pytest.fixture
def recent_hospital(engine, settings) -> date:
    """A small mock hospital whose last week is the last complete week, with a trained model."""
    last = last_complete_week(date.today())
    spec = MockSpec(staff=40, weeks=10, seed=6, start=last - timedelta(weeks=9))
    write_mock(engine, settings, spec, progress=False)
    model = train(weekly_features(engine), "checkin", bootstrap_rounds=5, folds=3)
    save_model(model, engine, settings, live=True)
    return last


def without_run_time(html: str) -> str:
    return re.sub(r"Produced \d{4}-\d\d-\d\d \d\d:\d\d UTC", "", html)


SQLITE_ONLY = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)


@pytest.mark.slow
@SQLITE_ONLY  # the report's queries run on both backends in the papermill tests above
def test_report_last_twice_scores_once_and_keeps_one_index_row(cli, settings, recent_hospital):
    first = cli("report", "--week", "last")
    assert "scored week of" in first.stdout
    name = f"weekly-report-{recent_hospital.isoformat()}"
    reports = settings.data_dir / "reports"
    html = (reports / f"{name}.html").read_text()
    second = cli("report", "--week", "last")
    assert "scored" not in second.stdout
    assert without_run_time((reports / f"{name}.html").read_text()) == without_run_time(html)
    assert first.stderr == second.stderr == "", "no kernel warning, nothing else on stderr"
    assert sorted(p.name for p in reports.iterdir()) == [
        "index.html", "index.json", "team-figures.html", f"{name}.html", f"{name}.ipynb",
        f"{name}.json",
    ], "no lock file or private run folder left behind"  # fmt: skip
    manifest = json.loads((reports / "index.json").read_text())
    assert list(manifest) == [name]
    assert Page((reports / "index.html").read_text()).text.count(recent_hospital.isoformat()) == 1
    record = json.loads((reports / f"{name}.json").read_text())
    assert record["model_version"] == 1 and len(record["data_sha256"]) == 64
    assert record["parameters"]["week"] == recent_hospital.isoformat()
    audit = nbformat.read(reports / f"{name}.ipynb", as_version=4)
    assert audit.metadata.papermill.parameters.week == recent_hospital.isoformat()
    assert not re.search(r"https?://[^\"' ]+\.m?js", html), "the report must open offline"
    assert "<script" not in html
    # the rules for its team figures are a page shipped with the report, linked relatively
    assert 'href="team-figures.html"' in html and "docs/" not in html
    rules = Page((reports / "team-figures.html").read_text()).text
    assert "No small number by subtraction" in rules and "docs/" not in rules


def naming(text: str, pseudonyms: list[str]) -> set[str]:
    """Which of these pseudonyms the text names (as whole words)."""
    return {p for p in pseudonyms if re.search(rf"(?<![\w-]){re.escape(p)}(?![\w-])", text)}


def mode(path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def permissive_umask():
    """What a service started from a default shell has (and the commands it runs inherit):
    everything written readable by all."""
    old = os.umask(0o022)
    yield
    os.umask(old)


@pytest.mark.slow
@SQLITE_ONLY
def test_the_named_edition_never_replaces_the_anonymous_one_and_goes_with_an_erasure(
    permissive_umask, engine, cli, settings, recent_hospital
) -> None:
    week = recent_hospital.isoformat()
    cli("report", "--week", "last")
    anonymous = settings.data_dir / "reports" / f"weekly-report-{week}.html"
    written = anonymous.read_text()
    cli("report", "--week", "last", "--named", "--no-score")
    named_folder = settings.data_dir / "named-reports"
    name = f"weekly-report-{week}-named"
    assert sorted(p.name for p in named_folder.iterdir()) == [
        "index.html", "index.json", "team-figures.html", f"{name}.html", f"{name}.ipynb",
        f"{name}.json",
    ]  # fmt: skip
    # only their owner can read them, whatever the umask; the managers' edition stays readable
    assert mode(named_folder) == 0o700
    assert {p.name: mode(p) for p in named_folder.iterdir()} == dict.fromkeys(
        (p.name for p in named_folder.iterdir()), 0o600
    )
    assert mode(anonymous) == mode(settings.reports_dir / "index.html") == 0o644
    assert anonymous.read_text() == written, "the anonymous report is untouched"
    assert list(json.loads((settings.reports_dir / "index.json").read_text())) == [
        f"weekly-report-{week}"
    ]
    with engine.connect() as connection:
        everyone = list(connection.execute(select(db.staff.c.pseudonym)).scalars())
    assert naming(Page(written).text, everyone) == set(), "the anonymous edition names nobody"
    named = naming(Page((named_folder / f"{name}.html").read_text()).text, everyone)
    assert named, "the named edition names the people alerted"
    index = Page((named_folder / "index.html").read_text()).text
    assert "naming people (occupational health)" in index

    unnamed = sorted(set(everyone) - named)[0]
    cli("erase", unnamed)
    assert (named_folder / f"{name}.html").exists(), "a report that does not name them stays"
    cli("erase", sorted(named)[0])
    assert sorted(p.name for p in named_folder.iterdir()) == [
        "index.html", "index.json", "team-figures.html"
    ]  # fmt: skip
    assert json.loads((named_folder / "index.json").read_text()) == {}
    assert mode(named_folder / "index.json") == 0o600
    assert anonymous.read_text() == written


@SQLITE_ONLY
def test_a_week_scored_early_for_a_few_people_is_scored_for_everyone(
    engine, settings, recent_hospital
) -> None:
    week = recent_hospital
    with engine.connect() as connection:
        answered = connection.execute(
            select(db.checkin.c.staff_id).where(db.checkin.c.week_start == week).limit(1)
        ).scalar_one()
    score_people(engine, settings, [answered], week)  # a person's own check-in, mid-week
    done = runner._score_if_needed(engine, settings, week)
    assert done is not None and done.startswith("scored week of")
    with engine.connect() as connection:
        assert unscored_people(connection, week, 1) == 0
    assert runner._score_if_needed(engine, settings, week) is None


@pytest.mark.slow
@SQLITE_ONLY
def test_failures_exit_non_zero_with_one_line(cli, settings, recent_hospital, tmp_path) -> None:
    no_data = cli("report", "--week", "2030-01-07", check=False)
    assert no_data.returncode == 1 and "no check-ins or recordings" in no_data.stderr
    unscored = cli("report", "--week", "2030-01-07", "--no-score", check=False)
    assert unscored.returncode == 1 and "no scores for the week of 2030-01-07" in unscored.stderr
    bad_week = cli("report", "--week", "2026-02-30", check=False)
    assert bad_week.returncode == 2 and "not a date" in bad_week.stderr
    unknown = cli("report", "--week", "last", "--unit", "Ward Z", check=False)
    assert unknown.returncode == 1 and "Ward Z" in unknown.stderr
    down = cli("--db", "postgresql://nobody@127.0.0.1:1/none", "report", "--week", "last",
               check=False)  # fmt: skip
    assert down.returncode == 1 and "cannot reach database" in down.stderr
    for result in (no_data, unscored, bad_week, unknown, down):
        assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert not list((settings.data_dir / "reports").glob("*.html"))


@pytest.mark.slow
@SQLITE_ONLY
def test_a_failing_notebook_names_its_cell_and_leaves_nothing(
    settings, recent_hospital, tmp_path, monkeypatch
) -> None:
    broken = nbformat.read(NOTEBOOK, as_version=4)
    broken.cells.insert(3, nbformat.v4.new_code_cell("raise RuntimeError('the chart broke')"))
    path = tmp_path / "notebooks" / "weekly_report.ipynb"
    path.parent.mkdir()
    nbformat.write(broken, path)
    monkeypatch.setattr(runner, "NOTEBOOK", path)
    out = tmp_path / "reports"
    with pytest.raises(ReportFailed, match=r"cell \d+ \(RuntimeError: the chart broke\)"):
        run_report(load_settings(), recent_hospital, out_dir=out)
    assert list(out.iterdir()) == []


def test_the_rules_page_ships_in_the_package_and_is_written_once(tmp_path) -> None:
    cells = nbformat.read(NOTEBOOK, as_version=4).cells
    intro = next(cell for cell in cells if cell.cell_type == "markdown")
    assert "](team-figures.html)" in intro.source and "docs/" not in intro.source
    page = runner.write_team_figures_page(tmp_path)
    assert page == tmp_path / runner.TEAM_FIGURES_PAGE
    text = Page(page.read_text()).text
    assert "Team figures that reveal no individual" in text
    assert "No small number." in text and "No group disclosure." in text
    assert "docs/" not in page.read_text(), "no path into the repository a reader cannot open"
    written = page.stat().st_mtime_ns
    time.sleep(0.01)
    runner.write_team_figures_page(tmp_path)
    assert page.stat().st_mtime_ns == written, "written once"
    page.write_text("an older product's page")
    runner.write_team_figures_page(tmp_path)
    assert "No small number." in page.read_text(), "brought up to date"


def test_private_folders_of_killed_runs_are_removed_after_a_day(tmp_path) -> None:
    killed, running = tmp_path / ".run-killed", tmp_path / ".run-running"
    for work in (killed, running):
        work.mkdir()
        (work / "weekly-report-2026-03-02.ipynb").write_text("{}")
    day_and_a_bit = time.time() - runner.STALE_RUN_SECONDS - 60
    os.utime(killed, (day_and_a_bit, day_and_a_bit))
    (tmp_path / ".run-a-file").write_text("not a run's folder")
    os.utime(tmp_path / ".run-a-file", (day_and_a_bit, day_and_a_bit))

    assert runner.remove_stale_runs(tmp_path) == [killed]
    assert sorted(p.name for p in tmp_path.iterdir()) == [".run-a-file", ".run-running"]
