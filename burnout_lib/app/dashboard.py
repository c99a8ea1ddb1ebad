"""The weekly dashboard: a widget app for staff ("My week") and managers ("Team").

`notebooks/dashboard.ipynb` displays `Dashboard.open(settings).widget` and Voilà serves it
(`burnout dashboard`). Every control redraws only the views that depend on it, from the small
aggregates of `burnout_lib.app.views`. Whatever goes wrong (no database, no scores, a group below
the privacy floor) is shown as a plain message in the page, never as a traceback.
"""

from __future__ import annotations

import base64
import html
import io
import logging
import sys
from collections.abc import Callable
from datetime import date

import ipywidgets as widgets
import pandas as pd
from matplotlib.figure import Figure
from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError

from burnout_lib.app import views, weekly_plots
from burnout_lib.config import Settings
from burnout_lib.errors import BurnoutError
from burnout_lib.plots import RISK_COLOURS
from burnout_lib.privacy.suppression import TOTAL, shown, shown_share
from burnout_lib.store import db

log = logging.getLogger(__name__)

ALL_ROLES = "All roles"
MEANING = (
    "Your risk level comes from your weekly check-in answers and, if you agreed to share them, "
    "the facial expression scores of your weekly clip. Expression scores measure facial "
    "movement as a model perceives it, not what you feel. A level is a prompt for a "
    "conversation, not a diagnosis; only you and occupational health see this page's "
    "personal view."
)
STYLE = """
<style>
.bm { font-family: system-ui, sans-serif; color: #1a1a1a; max-width: 1120px; line-height: 1.45; }
.bm h2 { font-size: 1.25rem; margin: 0.6rem 0 0.3rem; }
.bm h3 { font-size: 1.05rem; margin: 1rem 0 0.3rem; }
.bm table { border-collapse: collapse; font-size: 0.9rem; margin: 0.3rem 0 0.8rem; }
.bm th, .bm td { border-bottom: 1px solid #ddd; padding: 3px 10px; text-align: right; }
.bm th:first-child, .bm td:first-child { text-align: left; }
.bm td.text, .bm th.text { text-align: left; max-width: 520px; }
.bm img { max-width: 100%; height: auto; display: block; }
.bm .notice { background: #f3f6fa; border-left: 4px solid #0072B2; padding: 0.6rem 0.9rem;
              margin: 0.5rem 0; }
.bm .headline { font-size: 1.1rem; margin: 0.3rem 0; }
.bm .level { padding: 1px 8px; border-radius: 10px; color: #000; font-weight: 600;
             white-space: nowrap; }
.bm .muted { color: #555; font-size: 0.85rem; }
</style>
"""


def _log_to_server() -> None:
    """Send the app's log to the server's console: in a kernel, stderr would land in the page."""
    package = logging.getLogger("burnout_lib")
    if not package.handlers:
        handler = logging.StreamHandler(sys.__stderr__)
        handler.setFormatter(logging.Formatter("%(asctime)s %(name)s %(levelname)s %(message)s"))
        package.addHandler(handler)
        package.propagate = False


def _escape(value: object) -> str:
    return html.escape(str(value))


def level_badge(level: str) -> str:
    """A risk level as a coloured, labelled badge (the word is there for colour-blind readers)."""
    colour = RISK_COLOURS.get(level, "#BBBBBB")
    return f'<span class="level level-{_escape(level)}" style="background:{colour}">{level}</span>'


def notice(message: str, kind: str = "info") -> str:
    return f'<div class="notice" data-notice="{kind}">{_escape(message)}</div>'


def figure_html(fig: Figure, name: str) -> str:
    """A figure as an inline PNG, named for tests and described for screen readers."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=96)
    encoded = base64.b64encode(buffer.getvalue()).decode("ascii")
    title = fig.axes[0].get_title() if fig.axes else name
    return f'<img data-chart="{name}" alt="{_escape(title)}" src="data:image/png;base64,{encoded}">'


def table_html(frame: pd.DataFrame, name: str, text_columns: tuple[str, ...] = ()) -> str:
    """A small table; `text_columns` are left-aligned prose."""
    prose = ' class="text"'
    head = "".join(
        f"<th{prose if c in text_columns else ''}>{_escape(c)}</th>" for c in frame.columns
    )
    rows = []
    for values in frame.itertuples(index=False):
        cells = []
        for column, value in zip(frame.columns, values, strict=True):
            css = prose if column in text_columns else ""
            content = value if column == "risk level" else _escape(value)
            cells.append(f"<td{css}>{content}</td>")
        rows.append(f"<tr>{''.join(cells)}</tr>")
    return (
        f'<table data-table="{name}"><thead><tr>{head}</tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table>"
    )


def _week_label(week: date) -> str:
    return f"{week:%d %b %Y}"


class Dashboard:
    """The app: controls on top, "My week" and "Team" tabs below."""

    def __init__(self, settings: Settings, engine: Engine | None = None) -> None:
        self.settings = settings
        self.engine = engine or db.make_engine(settings.db_url)
        self.model_version_id: int | None = None
        self.threshold: float | None = None
        self.scored: set[date] = set()
        self._filling_roles = False
        self.header = widgets.HTML()
        self.week = widgets.Dropdown(description="Week", layout=widgets.Layout(width="260px"))
        self.unit = widgets.Dropdown(description="Unit", layout=widgets.Layout(width="320px"))
        self.role = widgets.Dropdown(description="Role", layout=widgets.Layout(width="320px"))
        self.person = widgets.Combobox(
            description="Pseudonym",
            placeholder="type your pseudonym",
            ensure_option=True,
            layout=widgets.Layout(width="320px"),
        )
        for name, control in (
            ("week", self.week),
            ("unit", self.unit),
            ("role", self.role),
            ("person", self.person),
        ):
            control.add_class(f"bm-{name}")  # a stable handle for the browser tests
            control.style.description_width = "initial"
        self.my_week = widgets.HTML()
        self.team = widgets.HTML()
        self.tabs = widgets.Tab(
            children=[
                widgets.VBox([self.person, self.my_week]),
                widgets.VBox([widgets.HBox([self.unit, self.role]), self.team]),
            ],
            titles=("My week", "Team"),
        )
        self.widget = widgets.VBox(
            [widgets.HTML(STYLE), self.header, self.week, self.tabs],
            layout=widgets.Layout(max_width="1160px"),
        )
        self.widget.add_class("bm-app")

    # --- start -------------------------------------------------------------------------------

    @classmethod
    def open(cls, settings: Settings) -> Dashboard:
        """The app on the configured database, or a page that says why it cannot show data."""
        _log_to_server()
        app = cls(settings)
        app.week.layout.display = app.tabs.layout.display = "none"
        app._guard(app.header, app._load)
        return app

    def _load(self) -> str:
        db.require_schema(self.engine)
        with self.engine.connect() as connection:
            self.model_version_id = views.newest_scored_model(connection)
            if self.model_version_id is None:
                return self._banner() + notice(
                    "No weeks have been scored yet. Once check-ins are imported, run "
                    "`burnout train` and `burnout score --week YYYY-MM-DD`, then reload this page.",
                    "empty",
                )
            self.threshold = connection.execute(
                select(db.model_version.c.threshold).where(
                    db.model_version.c.id == self.model_version_id
                )
            ).scalar_one()
            self.scored = set(views.scored_weeks(connection, self.model_version_id))
            weeks = sorted(self.scored | set(views.checkin_weeks(connection)))
            unit_names = views.units(connection)
            people = views.pseudonyms(connection)
        self.week.options = [(_week_label(w), w) for w in reversed(weeks)]
        self.week.value = max(self.scored)
        self.unit.options = unit_names
        self.unit.value = unit_names[0] if unit_names else None
        self._fill_roles()
        self.person.options = tuple(people)
        self.week.observe(lambda _: self.refresh(), names="value")
        self.unit.observe(lambda _: self._unit_changed(), names="value")
        self.role.observe(lambda _: self._role_changed(), names="value")
        self.person.observe(lambda _: self._guard(self.my_week, self._person_view), names="value")
        self.week.layout.display = self.tabs.layout.display = None
        self.refresh()
        return self._banner()

    def _banner(self) -> str:
        if self.model_version_id is None:
            return ""
        latest = f" · latest scored week {_week_label(max(self.scored))}" if self.scored else ""
        return f'<div class="muted">Scores from model version {self.model_version_id}{latest}</div>'

    # --- updates -----------------------------------------------------------------------------

    def refresh(self) -> None:
        """Redraw both views for the chosen controls."""
        self._guard(self.my_week, self._person_view)
        self._guard(self.team, self._team_view)

    def _unit_changed(self) -> None:
        self._fill_roles()
        self._guard(self.team, self._team_view)

    def _fill_roles(self) -> None:
        if self.unit.value is None:
            self.role.options = [ALL_ROLES]
            return
        with self.engine.connect() as connection:
            unit_roles = views.roles(connection, self.unit.value)
        self._filling_roles = True
        try:
            self.role.options = [ALL_ROLES, *unit_roles]
            self.role.value = ALL_ROLES
        finally:
            self._filling_roles = False

    def _role_changed(self) -> None:
        if not self._filling_roles:
            self._guard(self.team, self._team_view)

    def _guard(self, target: widgets.HTML, render: Callable[[], str]) -> None:
        """Show a view, or a plain message when it cannot be shown; log what went wrong."""
        try:
            content = render()
        except BurnoutError as error:
            content = notice(str(error), "error")
        except SQLAlchemyError as error:
            log.warning("database error while drawing the dashboard: %s", error)
            content = notice(
                "The database cannot be reached right now, so there is nothing to show. "
                "Please try again later; if it persists, tell the team that runs Burnout Monitor.",
                "unavailable",
            )
        except Exception:
            log.exception("unexpected error while drawing the dashboard")
            content = notice(
                "Something went wrong while drawing this view. The error has been logged.",
                "error",
            )
        target.value = f'<div class="bm">{content}</div>'

    # --- My week -----------------------------------------------------------------------------

    def _person_view(self) -> str:
        week, pseudonym = self.week.value, self.person.value
        parts = ['<section data-view="my-week">']
        if not pseudonym:
            parts.append(notice("Type your pseudonym above to see your weeks.", "choose"))
            parts.append(f'<p class="muted">{_escape(MEANING)}</p></section>')
            return "".join(parts)
        with self.engine.connect() as connection:
            person = views.person_weeks(connection, pseudonym, week, self.model_version_id)
        parts.append(f"<h2>{_escape(pseudonym)}: week of {_week_label(week)}</h2>")
        now = person.this_week
        if now is None:
            reason = (
                "this week has not been scored yet"
                if week not in self.scored
                else "there is no check-in or shared recording from you that week"
            )
            parts.append(notice(f"No risk score for the week of {_week_label(week)}: {reason}.",
                                "no-score"))  # fmt: skip
        else:
            parts.append(
                f'<p class="headline" data-headline="person">{level_badge(now["level"])} risk '
                f"(probability {now['probability']:.0%}) · check-in score "
                f"{_score(now['checkin_score'])} · main drivers: {_escape(now['drivers'])}</p>"
            )
        fig = weekly_plots.risk_timeline(person.log, week, self.threshold)
        parts.append(figure_html(fig, "risk-timeline"))
        if not person.log.empty:
            log_table = pd.DataFrame(
                {
                    "week starting": person.log["week_start"].map(_week_label),
                    "risk level": person.log["level"].map(level_badge),
                    "probability": person.log["probability"].map("{:.0%}".format),
                    "check-in score (0–100)": person.log["checkin_score"].map(_score),
                    "main drivers": person.log["drivers"],
                }
            ).iloc[::-1]
            parts.append("<h3>Your weekly log</h3>")
            parts.append(table_html(log_table, "risk-log", ("main drivers",)))
        parts.append(figure_html(weekly_plots.expression_trends(person.expressions),
                                 "expression-trends"))  # fmt: skip
        parts.append("<h3>Alerts and what may help</h3>")
        if person.alerts.empty:
            parts.append(notice("No alerts for you in the last four weeks.", "no-alerts"))
        else:
            alerts = pd.DataFrame(
                {
                    "week starting": person.alerts["week_start"].map(_week_label),
                    "alert": person.alerts["rule"].map(views.RULE_NAMES),
                    "why": person.alerts["reason"],
                    "what may help": person.alerts["suggested_action"],
                    "status": person.alerts["acknowledged"].map(
                        {True: "acknowledged", False: "open"}
                    ),
                }
            )
            parts.append(table_html(alerts, "person-alerts", ("why", "what may help")))
        parts.append(f"<h3>What these scores mean</h3><p>{_escape(MEANING)}</p></section>")
        return "".join(parts)

    # --- Team --------------------------------------------------------------------------------

    def _team_view(self) -> str:
        week, unit = self.week.value, self.unit.value
        role = None if self.role.value in (None, ALL_ROLES) else self.role.value
        floor = self.settings.min_group_size
        name = unit if role is None else f"{role} staff in {unit}"
        parts = ['<section data-view="team">']
        with self.engine.connect() as connection:
            team = views.team_weeks(connection, unit, role, week, self.model_version_id, floor)
        parts.append(f"<h2>{_escape(name)}: week of {_week_label(week)}</h2>")
        total = team.levels.at[week, TOTAL]
        if week not in self.scored or (not pd.isna(total) and total == 0):
            parts.append(notice(f"No one in {name} has a risk score for the week of "
                                f"{_week_label(week)}.", "no-score"))  # fmt: skip
        elif not team.shown:
            parts.append(
                notice(
                    f"The figures for {name} this week are hidden to protect privacy: they would "
                    f"describe fewer than {floor} people, directly or by subtraction from the "
                    "unit's figures.",
                    "suppressed",
                )
            )
            parts.append("</section>")
            return "".join(parts)
        else:
            counts = " · ".join(
                f"{level_badge(level)} {shown(team.levels.at[week, level])}"
                for level in db.RISK_LEVELS
            )
            parts.append(
                f'<p class="headline" data-headline="team">{team.scored:,} staff scored · '
                f"{counts}</p>"
            )
            if team.unit_alerts:
                parts.append(
                    notice(
                        "Unit alert: the share of staff at high risk this week is well above "
                        "this unit's usual level. Look at workload and staffing across the unit "
                        "and consider offering a team debrief.",
                        "unit-alert",
                    )
                )
        title = f"Risk levels in {name}, by week"
        parts.append(figure_html(weekly_plots.team_levels_chart(team.levels, title), "team-levels"))
        parts.append(_team_tables(team))
        rate_title = f"Burnout in {name}'s check-ins against the NHS Staff Survey"
        parts.append(figure_html(
            weekly_plots.team_burnout_chart(team.burnout_rate, team.benchmark, rate_title),
            "team-burnout",
        ))  # fmt: skip
        parts.append(_benchmark_text(team))
        parts.append(
            f'<p class="muted">Numbers describing fewer than {floor} people are hidden, as are '
            "numbers from which a hidden one could be worked out.</p></section>"
        )
        return "".join(parts)


def _team_tables(team: views.TeamWeeks) -> str:
    levels = team.levels.iloc[::-1]
    checkins = team.checkins.reindex(levels.index)
    completion = team.completion.reindex(levels.index)
    table = pd.DataFrame(
        {
            "week starting": [_week_label(w) for w in levels.index],
            "staff scored": levels[TOTAL].map(shown),
            **{f"{level} risk": levels[level].map(shown) for level in db.RISK_LEVELS},
            "check-ins answered": [
                "hidden" if pd.isna(n) or pd.isna(t) else f"{int(t - n):,} of {int(t):,}"
                for n, t in zip(checkins["not answered"], checkins[TOTAL], strict=True)
            ],
            "completion": completion.map(shown_share),
        }
    )
    alerts = pd.DataFrame(
        {"alert": team.alerts.index, "people this week": team.alerts.map(shown).to_numpy()}
    )
    return (
        "<h3>Weekly counts</h3>"
        + table_html(table, "team-levels")
        + "<h3>Alerts this week, by type</h3>"
        + table_html(alerts, "team-alerts", ("alert",))
    )


def _benchmark_text(team: views.TeamWeeks) -> str:
    rate = team.burnout_rate.get(team.week)
    mine = (
        "this week's share of check-ins at or above the CBI burnout cut-off of 50 is hidden "
        "(too few people) or there were no check-ins."
        if rate is None or pd.isna(rate)
        else f"this week {float(rate):.0%} of answered check-ins were at or above the CBI "
        "burnout cut-off of 50."
    )
    if team.benchmark is None:
        return f"<p>In this team, {mine}</p>"
    bench = team.benchmark
    return (
        f'<p data-benchmark="nhs">In this team, {mine} '
        f"NHS Staff Survey {bench['year']}, {_escape(bench['trust_type'])} trusts: "
        f"{bench['rate']:.1%} of staff often or always burnt out (95% CI "
        f"{bench['ci_low']:.1%}–{bench['ci_high']:.1%}).</p>"
        '<p class="muted">The two measures ask different questions (CBI personal burnout '
        "against the Staff Survey's burnout item), so compare the level, not the decimals.</p>"
    )


def _score(value: object) -> str:
    return "—" if value is None or pd.isna(value) else f"{float(value):.0f}"
