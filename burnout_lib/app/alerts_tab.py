"""Occupational health's *Alerts* tab: the named alerts of four weeks to the chosen one and any
still open, and the entries of the chooser from which they open a person's page (each opening is
logged by `privacy.access.open_from_alert`, which the controller calls).

Both are drawn from the one frame `readouts.views.named_alerts` gives occupational health, so the
table and the chooser always list the same alerts.
"""

from __future__ import annotations

from datetime import date

import pandas as pd

from burnout_lib.app.page_parts import notice, table_html, week_label
from burnout_lib.readouts import views


def choices(found: pd.DataFrame) -> list[tuple[str, int]]:
    """The alert chooser's entries, as in the table: pseudonym, alert and week; each alert's id."""
    return [
        (f"{row.pseudonym} · {views.RULE_NAMES.get(row.rule, row.rule)} · "
         f"week of {week_label(row.week_start)}", int(row.id))
        for row in found.itertuples()
    ]  # fmt: skip


def render(found: pd.DataFrame, week: date) -> str:
    """The table of the alerts `found` (`views.named_alerts`) for the four weeks to `week`."""
    parts = ['<section data-view="alerts">',
             f"<h2>Alerts about people: four weeks to {week_label(week)}, and any "
             "still open</h2>"]  # fmt: skip
    if found.empty:
        parts.append(notice("No alerts about anyone in these four weeks.", "no-alerts"))
    else:
        table = pd.DataFrame(
            {
                "week starting": found["week_start"].map(week_label),
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
