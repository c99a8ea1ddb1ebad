"""The signed-in staff member's own controls: this week's check-in, consent in plain words, the
weekly clip (camera or upload) and "erase everything about me".

Every control here calls a library function that takes the page's signed-in `Viewer`
(`app.self_service`, `app.self_service_frames`); nothing the browser sends can name another
person. Each panel shows its outcome in a status line that screen readers announce, and tells the
page (`on_change`) when the person's week changed, so *My week* redraws.
"""

from __future__ import annotations

import html
import logging
from collections.abc import Callable
from datetime import date

import ipywidgets as widgets
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError

from burnout_lib.app import self_service
from burnout_lib.app.camera import CameraWidget
from burnout_lib.app.choices import ChoiceGroup
from burnout_lib.config import Settings
from burnout_lib.errors import BurnoutError
from burnout_lib.privacy.accounts import Viewer
from burnout_lib.sources.instruments import band_words

log = logging.getLogger(__name__)


def _status(text: str, name: str, kind: str = "info") -> str:
    """A status line screen readers announce when it changes."""
    return (
        f'<div class="bm"><p role="status" aria-live="polite" data-status="{name}" '
        f'data-kind="{kind}">{html.escape(text)}</p></div>'
    )


def _clips():
    """The clip service, imported when a clip is sent: it brings Hume's SDK, httpx and Pillow,
    which a page that is only read has no use for."""
    from burnout_lib.app import self_service_frames

    return self_service_frames


def _attempt(status: widgets.HTML, name: str, action: Callable[[], str]) -> bool:
    """Run one of the person's actions; show its outcome, or one plain line why it failed."""
    try:
        status.value = _status(action(), name, "done")
        return True
    except BurnoutError as error:
        status.value = _status(str(error), name, "refused")
    except SQLAlchemyError as error:
        log.warning("database error in a staff action: %s", error)
        status.value = _status(
            "The database cannot be reached right now: nothing was saved. Please try again.",
            name,
            "refused",
        )
    except Exception:
        log.exception("unexpected error in a staff action")
        status.value = _status("Something went wrong: nothing was saved. It has been logged.",
                               name, "refused")  # fmt: skip
    return False


class _Panel:
    """What every panel holds: the database, the settings, the signed-in viewer (read when an
    action runs) and the page's "the person's week changed" callback."""

    def __init__(self, engine: Engine, settings: Settings, viewer: Callable[[], Viewer],
                 on_change: Callable[[date | None], None]) -> None:  # fmt: skip
        self.engine, self.settings, self.viewer, self.on_change = (
            engine,
            settings,
            viewer,
            on_change,
        )


class CheckinPanel(_Panel):
    """This week's check-in: one labelled group of five answers per question, then the result."""

    def __init__(self, engine: Engine, settings: Settings, viewer: Callable[[], Viewer],
                 on_change: Callable[[date], None]) -> None:  # fmt: skip
        super().__init__(engine, settings, viewer, on_change)
        self.intro = widgets.HTML()
        self.questions: dict[str, ChoiceGroup] = {}
        self.form = widgets.VBox()
        self.submit = widgets.Button(description="Save my check-in", button_style="primary",
                                     layout=widgets.Layout(width="220px"))  # fmt: skip
        self.submit.add_class("bm-checkin-submit")
        self.submit.on_click(lambda _: self.save())
        self.result = widgets.HTML()
        self.help = widgets.HTML()
        self.widget = widgets.VBox([self.intro, self.form, self.submit, self.result, self.help])
        self.widget.add_class("bm-checkin")
        self.week: date | None = None

    def load(self) -> None:
        """Draw the form for this week, with the person's answers so far."""
        with self.engine.connect() as connection:
            form = self_service.checkin_form(connection, self.settings, self.viewer())
        self.week = form.week
        closes = f"{form.closes:%A %d %b}"
        lines = [
            f"<h2>Your check-in for the week of {form.week:%d %b %Y}</h2>",
            "<p>About a minute. Think of this past week. You can change your answers until "
            f"{closes}. You see them on your page; occupational health sees them only when it "
            "opens your page from an alert about you (each opening is logged); the early-warning "
            "model and the analysts' studies use them under your pseudonym, never your name. "
            "Your manager sees only team figures about 5 or more people.</p>",
        ]
        if not form.consent:
            lines.append(
                '<p class="notice" data-notice="no-checkin-consent">Check-ins are switched off '
                "for you: you have not agreed to the check-in, or withdrew it. Turn it on under "
                "<em>Consent and my data</em> to answer.</p>"
            )
        if form.score is not None:
            lines.append(f"<p>Your saved answers score <strong>{form.score:.0f}</strong>, "
                         f"{band_words(form.band)}.</p>")  # fmt: skip
        self.intro.value = f'<div class="bm">{"".join(lines)}</div>'
        self.questions = {}
        boxes = []
        for number, question in enumerate(form.questions, start=1):
            labels = [label for label, _ in question.options]
            chosen = next(
                (label for label, score in question.options if score == question.answer), None
            )
            group = ChoiceGroup(legend=f"{number}. {question.text}", options=labels,
                                value=chosen, group=f"q-{question.column}")  # fmt: skip
            group.add_class(f"bm-q-{question.column}")
            group.disabled = not (form.is_open and form.consent)
            self.questions[question.column] = group
            boxes.append(group)
        self.form.children = boxes
        self.submit.disabled = not (form.is_open and form.consent)
        self._options = {q.column: dict(q.options) for q in form.questions}

    def save(self) -> None:
        answers = {
            column: self._options[column][radio.value]
            for column, radio in self.questions.items()
            if radio.value is not None
        }

        def submit() -> str:
            result = self_service.submit_checkin(
                self.engine, self.settings, self.viewer(), answers, self.week
            )
            said = "Updated" if result.replaced else "Saved"
            text = (
                f"{said}: your score this week is {result.score:.0f}, "
                f"{band_words(result.band)}. {result.message}"
            )
            helps = "".join(f"<li>{html.escape(item)}</li>" for item in result.what_may_help)
            self.help.value = (
                f'<div class="bm" data-help="checkin"><h3>What may help</h3><ul>{helps}</ul></div>'
                if helps
                else ""
            )
            return text

        self.help.value = ""
        if _attempt(self.result, "checkin", submit):
            self.on_change(self.week)


class ConsentPanel(_Panel):
    """What the person agreed to, per channel, in plain words; grant or withdraw in one click;
    and erasing everything about them after they type their pseudonym."""

    def __init__(self, engine: Engine, settings: Settings, viewer: Callable[[], Viewer],
                 on_change: Callable[[date | None], None],
                 on_erased: Callable[[], None]) -> None:  # fmt: skip
        super().__init__(engine, settings, viewer, on_change)
        self.on_erased = on_erased
        self.channels = widgets.VBox()
        self.status = widgets.HTML()
        self.erase_text = widgets.Text(description="Type your pseudonym to confirm",
                                       style={"description_width": "initial"},
                                       layout=widgets.Layout(width="420px"))  # fmt: skip
        self.erase_text.add_class("bm-erase-text")
        self.erase = widgets.Button(description="Erase everything about me",
                                    button_style="danger",
                                    layout=widgets.Layout(width="260px"))  # fmt: skip
        self.erase.add_class("bm-erase")
        self.erase.on_click(lambda _: self.erase_me())
        self.erase_intro = widgets.HTML()
        self.widget = widgets.VBox([self.channels, self.status, self.erase_intro,
                                    widgets.HBox([self.erase_text, self.erase])])  # fmt: skip
        self.widget.add_class("bm-consent")

    def load(self) -> None:
        with self.engine.connect() as connection:
            consent = self_service.my_consent(connection, self.viewer())
        rows = [widgets.HTML('<div class="bm"><h2>Consent and my data</h2></div>')]
        for channel, decision in consent.items():
            when = (
                f"since {decision.decided_at:%d %b %Y %H:%M} UTC"
                if decision.decided_at is not None
                else "never asked"
            )
            state = "You agreed" if decision.granted else "You have not agreed"
            rows.append(
                widgets.HTML(
                    f'<div class="bm" data-consent="{channel}"><h3>{html.escape(decision.title)}'
                    f"</h3><p><strong>{state}</strong> ({when}).</p><ul>"
                    f"<li>What is stored: {html.escape(decision.stored)}</li>"
                    f"<li>Who sees it: {html.escape(decision.who_sees)}</li>"
                    f"<li>Who processes it: {html.escape(decision.processed_by)}</li>"
                    f"<li>If you withdraw: {html.escape(decision.if_revoked)}</li></ul></div>"
                )
            )
            verb = "Withdraw" if decision.granted else "Agree to"
            button = widgets.Button(description=f"{verb} the {decision.title.lower()}",
                                    layout=widgets.Layout(width="360px"))  # fmt: skip
            button.add_class(f"bm-consent-{channel}")
            button.on_click(lambda _, c=channel, g=not decision.granted: self.decide(c, g))
            rows.append(button)
        self.channels.children = rows
        phrase = self_service.erasure_phrase(self.viewer())
        self.erase_intro.value = (
            '<div class="bm"><h3>Erase everything about me</h3><p>Removes every answer, score, '
            "recording summary, alert and your account here, at once and for good, and signs "
            f"you out. To confirm, type your pseudonym <strong>{html.escape(phrase)}</strong>."
            "</p></div>"
        )

    def decide(self, channel: str, granted: bool) -> None:
        def act() -> str:
            decision = self_service.set_my_consent(self.engine, self.viewer(), channel, granted)
            said = "agreed to" if granted else "withdrew"
            return f"You {said} the {decision.title.lower()} ({decision.decided_at:%H:%M} UTC)."

        if _attempt(self.status, "consent", act):
            self.load()
            self.on_change(None)

    def erase_me(self) -> None:
        def act() -> str:
            self_service.erase_me(self.engine, self.settings, self.viewer(), self.erase_text.value)
            return "Everything about you has been erased, and you are signed out."

        if _attempt(self.status, "erase", act):
            self.on_erased()


class ClipPanel(_Panel):
    """The weekly clip: the camera widget (frames only, never video) or an upload."""

    def __init__(self, engine: Engine, settings: Settings, viewer: Callable[[], Viewer],
                 on_change: Callable[[date], None]) -> None:  # fmt: skip
        super().__init__(engine, settings, viewer, on_change)
        self.intro = widgets.HTML()
        self.camera = CameraWidget(on_take=self._take)
        self.upload = widgets.FileUpload(accept="video/*,image/jpeg,image/png", multiple=True,
                                         description="Choose a clip or photos",
                                         layout=widgets.Layout(width="auto"))  # fmt: skip
        self.upload.add_class("bm-upload")
        self.send = widgets.Button(description="Send the chosen file(s)",
                                   layout=widgets.Layout(width="240px"))  # fmt: skip
        self.send.add_class("bm-upload-send")
        self.send.on_click(lambda _: self.send_upload())
        self.result = widgets.HTML()
        self.widget = widgets.VBox(
            [self.intro, self.camera, widgets.HBox([self.upload, self.send]), self.result]
        )
        self.widget.add_class("bm-clip")

    def load(self, consented: bool) -> None:
        limit = self.settings.upload_max_bytes / 1_000_000
        if not consented:
            self.intro.value = (
                '<div class="bm"><h2>Your weekly clip</h2><p class="notice" '
                'data-notice="no-recording-consent">The weekly clip is off: you have not agreed '
                "to it, or withdrew it. Nothing of yours is recorded or sent.</p></div>"
            )
            self.camera.layout.display = "none"
            self.upload.layout.display = self.send.layout.display = "none"
            return
        self.intro.value = (
            '<div class="bm"><h2>Your weekly clip</h2><p>A few seconds of your face. Your browser '
            "takes at most 3 still pictures a second and sends only those; no video leaves your "
            "device and none is stored. Hume AI scores the facial expressions; only the scores "
            f"are kept. Or upload a short clip (up to {limit:.0f} MB) or a few photos instead: "
            "a clip is turned into pictures on the server and then deleted.</p></div>"
        )
        self.camera.layout.display = None
        self.upload.layout.display = self.send.layout.display = None

    def _take(self, frames: list[bytes]) -> str:
        result = _clips().submit_frames(self.engine, self.settings, self.viewer(), frames)
        self.on_change(result.week)
        return result.summary()

    def send_upload(self) -> None:
        files = [(item["name"], bytes(item["content"])) for item in self.upload.value]

        stored: list[date] = []

        def act() -> str:
            if not files:
                raise BurnoutError("Choose a clip or a few photos first.")
            result = _clips().submit_upload(self.engine, self.settings, self.viewer(), files)
            stored.append(result.week)
            return result.summary()

        ok = _attempt(self.result, "upload", act)
        self.upload.value = ()
        if ok:
            self.on_change(stored[0])
