"""The weekly dashboard: a widget app for staff ("My week"), managers and analysts ("Team") and
occupational health ("Team", named "Alerts" and a "Person" opened from an alert).

`notebooks/dashboard.ipynb` displays `Dashboard.open(settings, login).widget` for the signed-in
login and Voilà serves it (`burnout dashboard`). Every control redraws only the views that depend
on it, from the small aggregates of `burnout_lib.readouts.views`, which refuse what the
viewer's role does not allow. Whatever goes wrong (no sign-in, no database, no scores, a group
below the privacy floor) is shown as a plain message in the page, never as a traceback.
"""

from __future__ import annotations

import base64
import html
import io
import logging
import os
import sys
from collections.abc import Callable
from datetime import date

import ipywidgets as widgets
import pandas as pd
from matplotlib.figure import Figure
from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError

from burnout_lib.app import self_service
from burnout_lib.app.staff_panels import CheckinPanel, ClipPanel, ConsentPanel
from burnout_lib.config import Settings
from burnout_lib.errors import AccessDenied, BurnoutError, NotSignedIn
from burnout_lib.plots import weekly_plots
from burnout_lib.plots.style import RISK_COLOURS
from burnout_lib.privacy import access
from burnout_lib.privacy.accounts import OCCUPATIONAL_HEALTH, STAFF, Viewer, viewer_for
from burnout_lib.privacy.suppression import TOTAL, shown, shown_share
from burnout_lib.readouts import views
from burnout_lib.risk.advice import for_person, signposting
from burnout_lib.risk.scoring import what_scores_mean
from burnout_lib.sources.instruments import BAND_WORDS, band_words
from burnout_lib.sources.instruments import level as cbi_band
from burnout_lib.store import db

log = logging.getLogger(__name__)

ALL_ROLES = "All roles"
#: Said after the shared description of the scores.
MEANING_AFTER = (
    "Expression scores measure facial movement as a model perceives it, not what you feel. A "
    "level is a prompt for a conversation, not a diagnosis; only you and occupational health "
    "see this page's personal view."
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
.bm a { color: #0b5394; text-decoration: underline; }
.bm .demo-label { background: #fff4e5; border: 1px dashed #b35900; padding: 0 6px; }
.bm .help-now { background: #fff8e1; border: 3px solid #b35900; padding: 0.6rem 1rem;
                margin: 0.5rem 0 0.8rem; }
.bm .help-now h2 { margin-top: 0.2rem; }
/* ipywidgets greys the tabs not shown (#6d6d6d on #eee, 4.45:1, below WCAG AA's 4.5:1) and
   cuts long titles ("Consent and my data") at a fixed width */
.bm-app .widget-tab > .lm-TabBar .lm-TabBar-tab { color: #333; flex: 0 0 auto; }
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


def _week_options(weeks: list[date]) -> list[tuple[str, date]]:
    """The week chooser's entries, newest first; the week that has not ended says so."""
    return [
        (_week_label(w) + (" (in progress)" if views.in_progress(w) else ""), w)
        for w in reversed(weeks)
    ]


def help_now_html(settings: Settings, score: float) -> str:
    """Where to get help now, for a person whose own check-in is in the high or severe range:
    shown above everything else on their page, and announced to screen readers."""
    band = cbi_band(pd.Series([score])).iloc[0]
    items = "".join(
        f"<li><strong>{_escape(c.name)}</strong> ({_escape(c.when)}): "
        f'<span data-contact="{"set" if c.configured else "unset"}">{_escape(c.how)}</span></li>'
        for c in signposting(settings)
    )
    return (
        '<section class="help-now" data-help="now" role="alert" aria-labelledby="help-now">'
        '<h2 id="help-now">Where to get help now</h2>'
        f"<p>Your check-in scored {score:.0f}, {band_words(band)}. You do not have to wait for "
        "anything, or cope with this alone. Occupational health has been told, and will contact "
        "you in confidence; you can also reach out yourself:</p>"
        f"<ul>{items}</ul></section>"
    )


class Dashboard:
    """The app for one signed-in viewer: the week on top, and only the tabs their role allows.

    Staff get *My week* (their own); managers and analysts get *Team* (their units, or every unit);
    occupational health gets *Team*, *Alerts* (named) and *Person*, a page they open from an
    alert, each opening logged. Anyone else gets a plain "not signed in" message and no data.
    """

    def __init__(self, settings: Settings, engine: Engine | None = None) -> None:
        self.settings = settings
        self.engine = engine or db.make_engine(settings.db_url)
        self.login: str | None = None
        self.viewer: Viewer | None = None
        self.person_pseudonym: str | None = None
        self.model_version_id: int | None = None
        self.threshold: float | None = None
        self.horizon: int = settings.warning_horizon_weeks
        #: the live model's `model_version.metrics` (its card): which channels it uses, and why
        self.live_model: dict | None = None
        self.scored: set[date] = set()
        self._filling_roles = False
        self.header = widgets.HTML()
        self.help_now = widgets.HTML()
        self.week = widgets.Dropdown(description="Week", layout=widgets.Layout(width="260px"))
        self.unit = widgets.Dropdown(description="Unit", layout=widgets.Layout(width="320px"))
        self.role = widgets.Dropdown(description="Role", layout=widgets.Layout(width="320px"))
        self.alert_choice = widgets.Dropdown(
            description="Alert", layout=widgets.Layout(width="560px")
        )
        self.open_person = widgets.Button(
            description="Open this person's page (the opening is logged)",
            layout=widgets.Layout(width="360px"),
        )
        for name, control in (
            ("week", self.week),
            ("unit", self.unit),
            ("role", self.role),
            ("alert", self.alert_choice),
            ("open-person", self.open_person),
        ):
            control.add_class(f"bm-{name}")  # a stable handle for the browser tests
            control.style.description_width = "initial"
        self.my_week = widgets.HTML()
        self.team = widgets.HTML()
        self.alerts = widgets.HTML()
        self.open_status = widgets.HTML()
        self.tabs = widgets.Tab()
        self.widget = widgets.VBox(
            [widgets.HTML(STYLE), self.help_now, self.header, self.week, self.tabs],
            layout=widgets.Layout(max_width="1160px"),
        )
        self.widget.add_class("bm-app")

    # --- start -------------------------------------------------------------------------------

    @classmethod
    def open(cls, settings: Settings, login: str | None) -> Dashboard:
        """The app for the signed-in `login`, or a page that says why it cannot show data."""
        _log_to_server()
        app = cls(settings)
        app.week.layout.display = app.tabs.layout.display = "none"
        app._guard(app.header, lambda: app._load(login))
        return app

    def _load(self, login: str | None) -> str:
        db.require_schema(self.engine)
        self.login = login
        with self.engine.connect() as connection:
            self.viewer = viewer = viewer_for(connection, login)
            if viewer.role == STAFF:
                self.person_pseudonym = viewer.pseudonym
            self.model_version_id = views.live_scored_model(connection)
            if self.model_version_id is None:
                if viewer.role == STAFF:  # they can still check in and decide their consent
                    self._build_tabs()
                    self.tabs.layout.display = None
                    self.my_week.value = f'<div class="bm">{self._person_view()}</div>'
                    return self._banner()
                return self._banner() + notice(
                    "No weeks have been scored yet. Once check-ins are imported, run "
                    "`burnout train` and `burnout score --week YYYY-MM-DD`, then reload this page.",
                    "empty",
                )
            live = connection.execute(
                select(
                    db.model_version.c.threshold,
                    db.model_version.c.horizon_weeks,
                    db.model_version.c.metrics,
                ).where(db.model_version.c.id == self.model_version_id)
            ).one()
            self.threshold = live.threshold
            self.horizon = live.horizon_weeks or self.horizon
            self.live_model = live.metrics
            self.scored = set(views.scored_weeks(connection, self.model_version_id))
            weeks = sorted(self.scored | set(views.checkin_weeks(connection)))
            unit_names = views.units(connection, viewer)
        self.week.options = _week_options(weeks)
        # open on the latest finished week: the current one may hold a few people's own
        # check-ins, scored as they answered, but not yet everyone's
        self.week.value = views.last_finished(self.scored)
        self.unit.options = unit_names
        self.unit.value = unit_names[0] if unit_names else None
        self._build_tabs()
        self.week.observe(lambda _: self.refresh(), names="value")
        self.week.layout.display = self.tabs.layout.display = None
        self.refresh()
        return self._banner()

    def _build_tabs(self) -> None:
        """The tabs this viewer's role allows; the others are never built."""
        role = self.viewer.role
        pages: list[tuple[str, widgets.Widget]] = []
        if role == STAFF:
            pages.append(("My week", widgets.VBox([self.my_week])))
            pages.extend(self._staff_pages())
        else:
            self._fill_roles()
            self.unit.observe(lambda _: self._unit_changed(), names="value")
            self.role.observe(lambda _: self._role_changed(), names="value")
            pages.append(("Team", widgets.VBox([widgets.HBox([self.unit, self.role]), self.team])))
        if role == OCCUPATIONAL_HEALTH:
            self.open_person.on_click(
                lambda _: self._guard(self.open_status, self._open_from_alert)
            )
            chooser = widgets.HBox([self.alert_choice, self.open_person])
            pages.append(("Alerts", widgets.VBox([self.alerts, chooser, self.open_status])))
            pages.append(("Person", widgets.VBox([self.my_week])))
        self.tabs.children = [page for _, page in pages]
        self.tabs.titles = tuple(title for title, _ in pages)

    def _staff_pages(self) -> list[tuple[str, widgets.Widget]]:
        """The person's own controls: check-in, weekly clip, consent and erasure."""
        own = lambda: self.viewer  # noqa: E731 - re-read by _guard before every redraw
        self.checkin_panel = CheckinPanel(self.engine, self.settings, own, self._own_week_changed)
        self.clip_panel = ClipPanel(self.engine, self.settings, own, self._own_week_changed)
        self.consent_panel = ConsentPanel(
            self.engine, self.settings, own, self._own_week_changed, self._erased
        )
        self._load_staff_panels()
        return [
            ("Check-in", self.checkin_panel.widget),
            ("Weekly clip", self.clip_panel.widget),
            ("Consent and my data", self.consent_panel.widget),
        ]

    def _load_staff_panels(self) -> None:
        self.checkin_panel.load()
        self.consent_panel.load()
        with self.engine.connect() as connection:
            shares_face = self_service.my_consent(connection, self.viewer)["face"].granted
            urgent = self_service.urgent_checkin(connection, self.viewer)
        self.clip_panel.load(shares_face and self.settings.channel_on("face"))
        shown = "" if urgent is None else help_now_html(self.settings, urgent)
        self.help_now.value = shown and f'<div class="bm">{shown}</div>'

    def _own_week_changed(self, week: date | None) -> None:
        """After the person's own check-in, clip or consent: show the week as it now stands."""

        def redraw() -> str:
            with self.engine.connect() as connection:
                if self.model_version_id is None:
                    self.model_version_id = views.live_scored_model(connection)
                if self.model_version_id is not None:
                    self.scored = set(views.scored_weeks(connection, self.model_version_id))
                weeks = sorted(self.scored | set(views.checkin_weeks(connection)))
            chosen = week if week is not None and week in weeks else self.week.value
            self.week.options = _week_options(weeks)
            if chosen in weeks:
                self.week.value = chosen
            self.week.layout.display = None
            self._load_staff_panels()
            return self._person_view()

        self._guard(self.my_week, redraw)

    def _erased(self) -> None:
        """Everything about the person is gone, their account too: the page shows nothing more."""
        self.viewer = None
        self.help_now.value = ""
        self.week.layout.display = self.tabs.layout.display = "none"
        self.header.value = (
            '<div class="bm">'
            + notice(
                "Everything about you has been erased, and you are signed out. Thank you for "
                "taking part.",
                "erased",
            )
            + "</div>"
        )

    def _banner(self) -> str:
        parts = [f'<div class="signed-in">Signed in as {_escape(self.viewer.describe())}']
        if self.settings.demo_signin:
            base = os.environ.get("VOILA_BASE_URL", "/").rstrip("/")
            parts.append(
                f' · <strong class="demo-label">Demo sign-in, made-up data</strong> · '
                f'<a href="{_escape(base)}/demo-signin">choose another demo login</a>'
            )
        parts.append("</div>")
        if self.model_version_id is not None:
            latest = ""
            if self.scored:
                latest = f" · latest finished week {_week_label(views.last_finished(self.scored))}"
                current = max(self.scored)
                if views.in_progress(current):
                    latest += (
                        f" · week of {_week_label(current)} in progress (scored only for those "
                        "who checked in so far)"
                    )
            version = self.model_version_id
            parts.append(f'<div class="muted">Scores from model version {version}{latest}</div>')
        return "".join(parts)

    # --- updates -----------------------------------------------------------------------------

    def refresh(self) -> None:
        """Redraw every view this viewer has, for the chosen controls."""
        role = self.viewer.role
        if role in (STAFF, OCCUPATIONAL_HEALTH):
            self._guard(self.my_week, self._person_view)
        if role != STAFF:
            self._guard(self.team, self._team_view)
        if role == OCCUPATIONAL_HEALTH:
            self._guard(self.alerts, self._alerts_view)

    def _unit_changed(self) -> None:
        self._fill_roles()
        self._guard(self.team, self._team_view)

    def _fill_roles(self) -> None:
        if self.unit.value is None:
            self.role.options = [ALL_ROLES]
            return
        with self.engine.connect() as connection:
            unit_roles = views.roles(connection, self.viewer, self.unit.value)
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
        """Show a view, or a plain message when it cannot be shown; log what went wrong.

        The account is read again first, so a removed or changed account takes effect at once.
        """
        try:
            if self.viewer is not None:
                with self.engine.connect() as connection:
                    self.viewer = viewer_for(connection, self.login)
            content = render()
        except NotSignedIn as error:
            content = notice(f"{error} Burnout Monitor shows nothing without a registered "
                             "sign-in.", "not-signed-in")  # fmt: skip
        except AccessDenied as error:
            log.warning("refused: %s", error)
            content = notice("This view is not available to your account.", "denied")
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

    # --- Alerts and opening a person (occupational health) -----------------------------------

    def _alerts_view(self) -> str:
        week = self.week.value
        with self.engine.connect() as connection:
            found = views.named_alerts(connection, self.viewer, week)
        chosen = self.alert_choice.value
        self.alert_choice.options = [
            (f"{row.pseudonym} · {views.RULE_NAMES.get(row.rule, row.rule)} · "
             f"week of {_week_label(row.week_start)}", int(row.id))
            for row in found.itertuples()
        ]  # fmt: skip
        ids = found["id"].astype(int).tolist()
        self.alert_choice.value = chosen if chosen in ids else (ids[0] if ids else None)
        self.open_person.disabled = found.empty
        parts = ['<section data-view="alerts">',
                 f"<h2>Alerts about people: four weeks to {_week_label(week)}, and any "
                 "still open</h2>"]  # fmt: skip
        if found.empty:
            parts.append(notice("No alerts about anyone in these four weeks.", "no-alerts"))
        else:
            table = pd.DataFrame(
                {
                    "week starting": found["week_start"].map(_week_label),
                    "pseudonym": found["pseudonym"],
                    "unit": found["unit"],
                    "role": found["role"],
                    "alert": found["rule"].map(views.RULE_NAMES),
                    "why": found["reason"],
                    "status": found["status"],
                }
            )
            parts.append(table_html(table, "named-alerts", ("pseudonym", "why")))
            parts.append(
                '<p class="muted">Choose an alert below to open that person\'s page. Each '
                "opening is written to the access log (who, whom, when and why).</p>"
            )
        parts.append("</section>")
        return "".join(parts)

    def _open_from_alert(self) -> str:
        if self.alert_choice.value is None:
            return notice("Choose an alert first.", "choose")
        self.person_pseudonym = pseudonym = access.open_from_alert(
            self.engine, self.viewer, int(self.alert_choice.value)
        )
        self._guard(self.my_week, self._person_view)
        self.tabs.selected_index = len(self.tabs.children) - 1
        return notice(f"Opened {pseudonym}'s page (the opening is logged).", "opened")

    # --- My week -----------------------------------------------------------------------------

    def _meaning(self) -> str:
        return f"{what_scores_mean(self.horizon, self.live_model)} {MEANING_AFTER}"

    def _person_view(self) -> str:
        week, pseudonym = self.week.value, self.person_pseudonym
        if self.model_version_id is None or week is None:
            return notice(
                "No weeks have been scored yet: your early warning appears here once a model is "
                "live. You can already answer this week's check-in.",
                "empty",
            )
        parts = ['<section data-view="my-week">']
        if not pseudonym:
            parts.append(notice("Open a person's page from the Alerts tab.", "choose"))
            parts.append(f'<p class="muted">{_escape(self._meaning())}</p></section>')
            return "".join(parts)
        with self.engine.connect() as connection:
            person = views.person_weeks(
                connection, self.viewer, pseudonym, week, self.model_version_id
            )
        own = self.viewer.role == STAFF
        title = "Your week" if own else f"{_escape(pseudonym)}: week"
        parts.append(f"<h2>{title} of {_week_label(week)}</h2>")
        now = person.this_week
        if now is None:
            reason = (
                "this week has not been scored yet"
                if week not in self.scored
                else "there is no check-in or shared recording that week"
            )
            parts.append(notice(f"No risk score for the week of {_week_label(week)}: {reason}.",
                                "no-score"))  # fmt: skip
        else:
            parts.append(
                f'<p class="headline" data-headline="person">{level_badge(now["level"])} risk · '
                f"{_this_week(now, self.horizon, own)} · what raises the early warning: "
                f"{_escape(now['drivers'])}</p>"
            )
        fig = weekly_plots.risk_timeline(person.log, week, self.threshold)
        parts.append(figure_html(fig, "risk-timeline"))
        if not person.log.empty:
            log_table = pd.DataFrame(
                {
                    "week starting": person.log["week_start"].map(_week_label),
                    "risk level": person.log["level"].map(level_badge),
                    "this week": person.log.apply(_measured_or_estimate, axis=1, own=own),
                    f"early warning (next {self.horizon} weeks)": person.log["probability"].map(
                        "{:.0%}".format
                    ),
                    "what raises it": person.log["drivers"],
                }
            ).iloc[::-1]
            parts.append("<h3>Your weekly log</h3>" if own
                         else f"<h3>Weekly log of {_escape(pseudonym)}</h3>")  # fmt: skip
            parts.append(table_html(log_table, "risk-log", ("this week", "what raises it")))
        parts.append(figure_html(weekly_plots.expression_trends(person.expressions),
                                 "expression-trends"))  # fmt: skip
        parts.append("<h3>Your alerts</h3>" if own else
                     f"<h3>Alerts about {_escape(pseudonym)} and what occupational health may "
                     "do</h3>")  # fmt: skip
        if person.alerts.empty:
            parts.append(notice("No alerts in the last four weeks, and none open.", "no-alerts"))
        else:
            columns = {
                "week starting": person.alerts["week_start"].map(_week_label),
                "alert": person.alerts["rule"].map(views.RULE_NAMES),
                "why": person.alerts["reason"],
                "status": person.alerts["status"],
            }
            if not own:  # occupational health's actions, never on the person's own page
                columns["what occupational health may do"] = person.alerts["suggested_action"]
            parts.append(table_html(pd.DataFrame(columns), "person-alerts",
                                    ("why", "what occupational health may do")))  # fmt: skip
        if own:
            drivers = [] if now is None else now["driver_list"]
            helps = "".join(f"<li>{_escape(item)}</li>" for item in for_person(drivers))
            parts.append(f'<h3>What may help you</h3><ul data-help="week">{helps}</ul>')
        parts.append(f"<h3>What these scores mean</h3><p>{_escape(self._meaning())}</p></section>")
        return "".join(parts)

    # --- Team --------------------------------------------------------------------------------

    def _team_view(self) -> str:
        week, unit = self.week.value, self.unit.value
        role = None if self.role.value in (None, ALL_ROLES) else self.role.value
        floor = self.settings.min_group_size
        name = unit if role is None else f"{role} staff in {unit}"
        parts = ['<section data-view="team">']
        with self.engine.connect() as connection:
            team = views.team_weeks(
                connection, self.viewer, unit, role, week, self.model_version_id, floor
            )
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
            estimated = team.estimated.get(week)
            if estimated is None or pd.isna(estimated):
                of_them = " (some may be the model's estimates for a week they skipped)"
            elif estimated == 0:
                of_them = " (all from their own check-ins)"
            else:
                of_them = f" ({int(estimated):,} of them estimates for a week they skipped)"
            parts.append(
                f'<p class="headline" data-headline="team">{team.scored:,} staff scored{of_them} · '
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
        if team.benchmark is None and team.burnout_rate.dropna().empty:
            parts.append(notice(
                f"No NHS Staff Survey figure compares with {name}, and its weekly "
                "burnout shares are hidden (too few people) or not there yet: nothing to chart.",
                "no-benchmark",
            ))  # fmt: skip
        else:
            rate_title = (
                f"Burnout in {name}'s check-ins, by week"
                if team.benchmark is None
                else f"Burnout in {name}'s check-ins against the NHS Staff Survey"
            )
            parts.append(figure_html(
                weekly_plots.team_burnout_chart(team.burnout_rate, team.benchmark, rate_title),
                "team-burnout",
            ))  # fmt: skip
        parts.append(_benchmark_text(team))
        parts.append(
            f'<p class="muted" data-rule="suppression">Numbers describing fewer than {floor} '
            "people are hidden, as are numbers from which such a number could be worked out, "
            "alone or added together, and a group whose members are all at the same level shows "
            "its size but not its breakdown.</p></section>"
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
            "of them estimates": team.estimated.reindex(levels.index).map(shown),
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


def _this_week(row: pd.Series, horizon: int, own: bool = True) -> str:
    """The week's fact (their own answer and its band) or, without one, the model's estimate, then
    the early warning: never one mistaken for the other."""
    warning = (
        f"early warning: {row['probability']:.0%} chance of a check-in of 50 or more within the "
        f"next {horizon} weeks"
    )
    return f"{_measured_or_estimate(row, own)} · {warning}"


def _measured_or_estimate(row: pd.Series, own: bool = True) -> str:
    if pd.isna(row["checkin_score"]):
        estimate = row.get("estimate_probability")
        if estimate is None or pd.isna(estimate):
            return "no check-in this week (no estimate)"
        return (
            f"no check-in this week: estimate, not {'your' if own else 'their'} answer: "
            f"{estimate:.0%} likely in the burnout range"
        )
    return (
        f"this week, measured: {_score(row['checkin_score'])} ({BAND_WORDS[row['measured_band']]})"
    )


def _score(value: object) -> str:
    return "—" if value is None or pd.isna(value) else f"{float(value):.0f}"
