"""A question with labelled answers as a native radio group (`<fieldset>` and `<legend>`).

ipywidgets' RadioButtons gives its radios no group label, so a screen reader would read
"Often" without the question. `ChoiceGroup` is a small anywidget (`static/choices.js`) whose
question is the group's legend; its `value` is the chosen answer's text, or None before one is
chosen, and only an answer among `options` is accepted from the browser.
"""

from __future__ import annotations

from pathlib import Path

import anywidget
import traitlets

STATIC = Path(__file__).with_name("static")


class ChoiceGroup(anywidget.AnyWidget):
    """One question and its answers; `value` is the chosen answer (None: not answered)."""

    _esm = STATIC / "choices.js"
    _css = STATIC / "choices.css"
    legend = traitlets.Unicode("").tag(sync=True)
    options = traitlets.List(traitlets.Unicode()).tag(sync=True)
    value = traitlets.Unicode(None, allow_none=True).tag(sync=True)
    disabled = traitlets.Bool(False).tag(sync=True)
    #: the radios' shared name: unique per question on the page
    group = traitlets.Unicode("").tag(sync=True)

    @traitlets.validate("value")
    def _known_answer(self, proposal):
        value = proposal["value"]
        if value is not None and value not in self.options:
            raise traitlets.TraitError(f"{value!r} is not an answer to {self.legend!r}")
        return value
