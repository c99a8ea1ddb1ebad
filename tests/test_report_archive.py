"""The reports folder's index (store/report_archive.py): rows added and forgotten, by several
processes at once, with no lock file left behind; owner-only in the named reports' folder."""

from __future__ import annotations

import json
import multiprocessing
import os
import stat
from pathlib import Path

from burnout_lib.store.private_files import private_dir
from burnout_lib.store.report_archive import add_report, forget_reports

from helpers.html_page import Page


def record(week: str, unit: str | None = None, named: bool = False) -> dict:
    stem = f"weekly-report-{week}" + ("-named" if named else "")
    return {"week": week, "unit": unit, "html": f"{stem}.html", "notebook": f"{stem}.ipynb",
            "model_version": 1, "generated_at": "2026-12-01T08:00:00+00:00",
            "parameters": {"show_pseudonyms": named}}  # fmt: skip


def add_many(folder: str, prefix: str) -> None:
    for number in range(40):
        add_report(Path(folder), f"{prefix}-{number}", record(f"2026-{number % 12 + 1:02d}-01"))


def test_two_processes_adding_at_once_lose_no_row_and_leave_no_lock(tmp_path) -> None:
    context = multiprocessing.get_context("spawn")
    writers = [context.Process(target=add_many, args=(str(tmp_path), p)) for p in "ab"]
    for writer in writers:
        writer.start()
    for writer in writers:
        writer.join(timeout=120)
        assert writer.exitcode == 0
    manifest = json.loads((tmp_path / "index.json").read_text())
    assert len(manifest) == 80
    assert sorted(p.name for p in tmp_path.iterdir()) == ["index.html", "index.json"]


def test_forgotten_reports_leave_the_index_and_others_stay(tmp_path) -> None:
    add_report(tmp_path, "weekly-report-2026-11-02-named", record("2026-11-02", named=True))
    add_report(tmp_path, "weekly-report-2026-11-09-named", record("2026-11-09", named=True))
    forget_reports(tmp_path, ["weekly-report-2026-11-02-named", "not-there"])
    assert list(json.loads((tmp_path / "index.json").read_text())) == [
        "weekly-report-2026-11-09-named"
    ]
    page = Page((tmp_path / "index.html").read_text())
    assert "2026-11-02" not in page.text
    assert ["2026-11-09", "whole hospital, naming people (occupational health)"] == page.rows[1][:2]


def test_the_index_is_as_private_as_its_folder(tmp_path) -> None:
    old = os.umask(0o022)  # a umask that lets everyone read what is written
    try:
        named = private_dir(tmp_path / "named-reports")
        shared = tmp_path / "reports"
        shared.mkdir()
        add_report(named, "weekly-report-2026-11-02-named", record("2026-11-02", named=True))
        add_report(shared, "weekly-report-2026-11-02", record("2026-11-02"))
        forget_reports(named, ["weekly-report-2026-11-02-named"])
    finally:
        os.umask(old)
    for name in ("index.json", "index.html"):
        assert stat.S_IMODE((named / name).stat().st_mode) == 0o600, name
        assert stat.S_IMODE((shared / name).stat().st_mode) == 0o644, "managers' stays readable"
    assert stat.S_IMODE(named.stat().st_mode) == 0o700
    assert sorted(p.name for p in named.iterdir()) == ["index.html", "index.json"]
