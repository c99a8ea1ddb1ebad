"""Running the weekly report as a scheduler does: score the week, run the notebook, archive it.

Each run executes `notebooks/weekly_report.ipynb` with papermill in a private folder, converts the
result to one self-contained HTML file without code, and only then moves the executed notebook
(the audit copy), the HTML and the run record into the reports folder. A failed run therefore
leaves nothing half-written. `index.html` lists every report, one row per week and unit, and
`team-figures.html` (made from text shipped in the package) explains the rules the reports' team
figures follow; each report links to it.

The edition naming people goes to a folder only its owner can open (0700), with every file in it
owner-only (0600) before it arrives there: the run's private folder is made inside it.
"""

from __future__ import annotations

import html
import json
import re
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, date, datetime
from importlib import resources
from pathlib import Path

from sqlalchemy import func, select

from burnout_lib.config import Settings, absolute_db_url
from burnout_lib.errors import BurnoutError, NotFound
from burnout_lib.risk.alerts import evaluate_week, weeks_without_alerts
from burnout_lib.risk.scoring import monday, score_week, unscored_people
from burnout_lib.store import db
from burnout_lib.store.private_files import private_dir, publish, write_file
from burnout_lib.store.report_archive import add_report

NOTEBOOK = Path(__file__).resolve().parents[2] / "notebooks" / "weekly_report.ipynb"
#: The rules for team figures, shipped in the package (`resources/`) and written next to the
#: reports under this name, which the report notebook links to.
TEAM_FIGURES_TEXT = "resources/team-figures.md"
TEAM_FIGURES_PAGE = "team-figures.html"
#: A report run's private folder untouched for this long belongs to a run that was killed.
STALE_RUN_SECONDS = 24 * 3600


class ReportFailed(BurnoutError):
    """The report notebook raised an error."""


@dataclass
class ReportRun:
    html: Path
    notebook: Path
    record: dict
    scored: str | None = None

    def summary(self) -> str:
        done = f"{self.scored}; " if self.scored else ""
        return f"{done}report written to {self.html}"


def report_name(week: date, unit: str | None, named: bool = False) -> str:
    """File name stem: `weekly-report-2026-06-29`, `weekly-report-2026-06-29-intensive-care`;
    the edition naming people ends in `-named`, so it never replaces the anonymous one."""
    name = f"weekly-report-{week.isoformat()}"
    if unit:
        name += "-" + re.sub(r"[^a-z0-9]+", "-", unit.lower()).strip("-")
    return f"{name}-named" if named else name


def _score_if_needed(engine, settings: Settings, week: date) -> str | None:
    with engine.connect() as connection:
        newest = db.live_model_id(connection)
        if newest is None:
            raise NotFound("no live model yet: run `burnout train --promote` first")
        scored = connection.execute(
            select(func.count()).where(
                db.weekly_risk.c.model_version_id == newest, db.weekly_risk.c.week_start == week
            )
        ).scalar_one()
        # people's own check-ins score them during the week: the rest are scored here
        scored = scored and not unscored_people(connection, week, newest)
    if scored:  # a run stopped after storing the scores may have left the alerts unraised
        if weeks_without_alerts(engine, newest, week):
            evaluate_week(engine, settings, week, newest)
        return None
    result = score_week(engine, settings, week, newest)
    alerts = evaluate_week(engine, settings, week, newest)
    return f"scored {result.summary()}; {len(alerts)} alerts"


def run_report(
    settings: Settings,
    week: date,
    unit: str | None = None,
    out_dir: Path | None = None,
    score_first: bool = True,
    show_pseudonyms: bool = False,
) -> ReportRun:
    """Score the week if needed, run the report notebook and archive it as HTML (the edition
    naming people, `show_pseudonyms`, by default in its own folder)."""
    import nbformat
    import papermill
    from papermill.exceptions import PapermillExecutionError

    week = monday(week)
    engine = db.make_engine(settings.db_url)
    try:
        db.require_schema(engine)
        scored = _score_if_needed(engine, settings, week) if score_first else None
        _check_has_scores(engine, week, unit)
    finally:
        engine.dispose()
    default_dir = settings.named_reports_dir if show_pseudonyms else settings.reports_dir
    out = Path(out_dir or default_dir).resolve()  # the notebook runs elsewhere
    private = show_pseudonyms  # the edition naming people: owner-only, folder and files
    if private:
        private_dir(out)
    else:
        out.mkdir(parents=True, exist_ok=True)
    remove_stale_runs(out)
    name = report_name(week, unit, named=show_pseudonyms)
    parameters = {
        "week": week.isoformat(),
        "db_url": absolute_db_url(settings.db_url),
        "unit": unit or "",
        "min_group_size": settings.min_group_size,
        "show_pseudonyms": show_pseudonyms,
    }
    with tempfile.TemporaryDirectory(dir=out, prefix=".run-") as work:  # 0700: mkdtemp's
        work_dir = Path(work)
        executed = work_dir / f"{name}.ipynb"
        try:
            papermill.execute_notebook(
                str(NOTEBOOK),
                str(executed),
                parameters={**parameters, "output_dir": str(work_dir)},
                kernel_name="python3",
                cwd=str(NOTEBOOK.parent),
                progress_bar=False,
                kernel_manager_class=encrypted_kernels(),
            )
        except PapermillExecutionError as error:
            raise ReportFailed(
                f"the report notebook failed in cell {error.exec_count} "
                f"({error.ename}: {error.evalue.strip().splitlines()[0] if error.evalue else ''})"
            ) from None
        notebook = nbformat.read(executed, as_version=4)
        for cell in notebook.cells:  # papermill gives its cell a random id; keep reruns identical
            if "injected-parameters" in cell.metadata.get("tags", []):
                cell.id = "injected-parameters"
        (work_dir / f"{name}.html").write_text(to_html(notebook), encoding="utf-8")
        record = json.loads((work_dir / "record.json").read_text())
        record["generated_at"] = datetime.now(UTC).isoformat(timespec="seconds")
        record["html"] = f"{name}.html"
        record["notebook"] = f"{name}.ipynb"
        (work_dir / f"{name}.json").write_text(json.dumps(record, indent=2, sort_keys=True))
        write_team_figures_page(out, private)  # before the report that links to it
        for suffix in (".ipynb", ".json", ".html"):  # the HTML last: it is what readers open
            publish(work_dir / f"{name}{suffix}", out / f"{name}{suffix}", private)
    add_report(out, name, record)
    return ReportRun(out / f"{name}.html", out / f"{name}.ipynb", record, scored)


def team_figures_page() -> str:
    """The page explaining the rules for team figures, as one HTML file that opens offline."""
    from nbconvert.filters import markdown2html_mistune

    text = resources.files(__package__).joinpath(TEAM_FIGURES_TEXT).read_text(encoding="utf-8")
    title = text.splitlines()[0].lstrip("# ").strip()
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        f"<title>Burnout Monitor: {html.escape(title)}</title>"
        "<style>body{font-family:system-ui,sans-serif;margin:2rem;max-width:50rem;"
        "line-height:1.45}code{font-size:90%}a.anchor-link{display:none}</style></head><body>"
        f"{markdown2html_mistune(text)}</body></html>\n"
    )


def write_team_figures_page(folder: Path, private: bool = False) -> Path:
    """Write `team-figures.html` into the reports folder, unless it is there as it would be."""
    path = folder / TEAM_FIGURES_PAGE
    page = team_figures_page()
    if not path.is_file() or path.read_text(encoding="utf-8") != page:
        write_file(path, page, private)
    return path


def remove_stale_runs(folder: Path, older_than_s: float = STALE_RUN_SECONDS) -> list[Path]:
    """Remove the private folders of report runs that were killed before they could clean up.

    Only folders untouched for a day go: a run still working (here or on another machine sharing
    the folder) keeps its own. Returns what was removed.
    """
    removed = []
    for work in folder.glob(".run-*"):
        if work.is_dir() and time.time() - work.stat().st_mtime > older_than_s:
            shutil.rmtree(work, ignore_errors=True)
            removed.append(work)
    return removed


def _check_has_scores(engine, week: date, unit: str | None) -> None:
    query = (
        select(func.count()).select_from(db.weekly_risk).where(db.weekly_risk.c.week_start == week)
    )
    if unit is not None:
        query = query.join(db.staff).where(db.staff.c.unit == unit)
    with engine.connect() as connection:
        if unit is not None:
            known = connection.execute(
                select(func.count()).where(db.staff.c.unit == unit)
            ).scalar_one()
            if not known:
                raise NotFound(f"no unit called {unit!r}")
        if not connection.execute(query).scalar_one():
            where = f" in {unit}" if unit else ""
            raise NotFound(f"no scores for the week of {week}{where}: nothing to report")


def to_html(notebook) -> str:
    """One HTML file that opens offline: no code, images inline, no scripts from the web."""
    from nbconvert import HTMLExporter

    exporter = HTMLExporter(
        template_name="lab",
        exclude_input=True,
        exclude_input_prompt=True,
        exclude_output_prompt=True,
        embed_images=True,
    )
    body, _ = exporter.from_notebook_node(notebook)
    # the template loads MathJax, require.js and mermaid from a CDN; a static report needs none
    return re.sub(r"<script\b.*?</script>", "", body, flags=re.DOTALL)


def encrypted_kernels() -> type:
    """A kernel manager that gives the report's kernel CurveZMQ keys (its kernel spec supports
    them): the local connection is encrypted, and the kernel does not warn on every run that it
    is not."""
    from jupyter_client.manager import AsyncKernelManager
    from traitlets import CaselessStrEnum

    class EncryptedKernelManager(AsyncKernelManager):
        transport_encryption = CaselessStrEnum(
            ["disabled", "auto", "required"], default_value="auto", config=True
        )

        async def _async_launch_kernel(self, kernel_cmd: list[str], **kw) -> None:
            # the kernel process's own stderr is framework noise (ipykernel can print a
            # traceback while it shuts down); cells' output reaches the notebook over iopub
            kw.setdefault("stderr", subprocess.DEVNULL)
            await super()._async_launch_kernel(kernel_cmd, **kw)

    return EncryptedKernelManager
