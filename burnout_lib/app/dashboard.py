"""The weekly dashboard: a widget app for staff ("My week"), managers and analysts ("Team") and
occupational health ("Team", named "Alerts" and a "Person" opened from an alert).

`notebooks/dashboard.ipynb` displays `Dashboard.open(settings, login).widget` for the signed-in
login and Voilà serves it (`burnout dashboard`). Every control redraws only the views that depend
on it, from the small aggregates of `burnout_lib.readouts.views`, which refuse what the
viewer's role does not allow. Whatever goes wrong (no sign-in, no database, no scores, a group
below the privacy floor) is shown as a plain message in the page, never as a traceback.

This module is the controller: the page's state (who is signed in, the live model, the chosen
week, unit, role and alert), its controls, the guard around every redraw and which tabs a role
gets. Each tab is drawn by a module of its own from plain arguments (`person_tab`, `team_tab`,
`alerts_tab`), out of the shared pieces of `page_parts`.
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Callable
from datetime import date

import ipywidgets as widgets
from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError

from burnout_lib.app import alerts_tab, person_tab, self_service, team_tab
from burnout_lib.app.page_parts import STYLE, escape, notice, week_label
from burnout_lib.app.staff_panels import CheckinPanel, ClipPanel, ConsentPanel
from burnout_lib.config import Settings
from burnout_lib.errors import AccessDenied, BurnoutError, NotSignedIn
from burnout_lib.privacy import access
from burnout_lib.privacy.accounts import OCCUPATIONAL_HEALTH, STAFF, Viewer, viewer_for
from burnout_lib.readouts import views
from burnout_lib.store import db

log = logging.getLogger(__name__)

ALL_ROLES = "All roles"


def _log_to_server() -> None:
    """Send the app's log to the server's console: in a kernel, stderr would land in the page."""
    package = logging.getLogger("burnout_lib")
    if not package.handlers:
        handler = logging.StreamHandler(sys.__stderr__)
        handler.setFormatter(logging.Formatter("%(asctime)s %(name)s %(levelname)s %(message)s"))
        package.addHandler(handler)
        package.propagate = False


def _week_options(weeks: list[date]) -> list[tuple[str, date]]:
    """The week chooser's entries, newest first; the week that has not ended says so."""
    return [
        (week_label(w) + (" (in progress)" if views.in_progress(w) else ""), w)
        for w in reversed(weeks)
    ]


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
        shown = "" if urgent is None else person_tab.help_now_html(self.settings, urgent)
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
        parts = [f'<div class="signed-in">Signed in as {escape(self.viewer.describe())}']
        if self.settings.demo_signin:
            base = os.environ.get("VOILA_BASE_URL", "/").rstrip("/")
            parts.append(
                f' · <strong class="demo-label">Demo sign-in, made-up data</strong> · '
                f'<a href="{escape(base)}/demo-signin">choose another demo login</a>'
            )
        parts.append("</div>")
        if self.model_version_id is not None:
            latest = ""
            if self.scored:
                latest = f" · latest finished week {week_label(views.last_finished(self.scored))}"
                current = max(self.scored)
                if views.in_progress(current):
                    latest += (
                        f" · week of {week_label(current)} in progress (scored only for those "
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
        """The named alerts of the chosen week; the chooser offers the same alerts, keeping the
        one chosen while it is still listed."""
        week = self.week.value
        with self.engine.connect() as connection:
            found = views.named_alerts(connection, self.viewer, week)
        chosen = self.alert_choice.value
        self.alert_choice.options = alerts_tab.choices(found)
        ids = found["id"].astype(int).tolist()
        self.alert_choice.value = chosen if chosen in ids else (ids[0] if ids else None)
        self.open_person.disabled = found.empty
        return alerts_tab.render(found, week)

    def _open_from_alert(self) -> str:
        """Open the chosen alert's person on the Person tab; the opening is logged first."""
        if self.alert_choice.value is None:
            return notice("Choose an alert first.", "choose")
        self.person_pseudonym = pseudonym = access.open_from_alert(
            self.engine, self.viewer, int(self.alert_choice.value)
        )
        self._guard(self.my_week, self._person_view)
        self.tabs.selected_index = len(self.tabs.children) - 1
        return notice(f"Opened {pseudonym}'s page (the opening is logged).", "opened")

    # --- My week and Person ------------------------------------------------------------------

    def _person_view(self) -> str:
        """My week (staff) or Person (occupational health) for the chosen week, as it stands now
        (called through `_guard`, so with the account just read again)."""
        return person_tab.render(
            self.engine,
            self.viewer,
            self.person_pseudonym,
            self.week.value,
            model_version_id=self.model_version_id,
            scored=self.scored,
            threshold=self.threshold,
            horizon=self.horizon,
            card=self.live_model,
        )

    # --- Team --------------------------------------------------------------------------------

    def _team_view(self) -> str:
        """Team for the chosen unit, role and week ("All roles" is the whole unit)."""
        return team_tab.render(
            self.engine,
            self.viewer,
            self.unit.value,
            None if self.role.value in (None, ALL_ROLES) else self.role.value,
            self.week.value,
            model_version_id=self.model_version_id,
            scored=self.scored,
            floor=self.settings.min_group_size,
        )
