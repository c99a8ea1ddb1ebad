"""The dashboard's small pieces of HTML: its style sheet, and values turned into markup that a
screen reader and a colour-blind reader can follow (a level's badge says its word, a chart has its
title as its description, a table's prose columns read left to right).

Each tab's module (`person_tab`, `team_tab`, `alerts_tab`) builds its page from these, so the page
looks and reads the same whichever tab draws it; the data-* names are stable handles for tests.
"""

from __future__ import annotations

import base64
import html
import io
from datetime import date

import pandas as pd
from matplotlib.figure import Figure

from burnout_lib.plots.style import RISK_COLOURS

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


def escape(value: object) -> str:
    """Any value as text that HTML shows as written (pseudonyms, unit names, reasons)."""
    return html.escape(str(value))


def level_badge(level: str) -> str:
    """A risk level as a coloured, labelled badge (the word is there for colour-blind readers)."""
    colour = RISK_COLOURS.get(level, "#BBBBBB")
    return f'<span class="level level-{escape(level)}" style="background:{colour}">{level}</span>'


def notice(message: str, kind: str = "info") -> str:
    """A plain message in place of a view (nothing to show, hidden, refused); `kind` names it."""
    return f'<div class="notice" data-notice="{kind}">{escape(message)}</div>'


def figure_html(fig: Figure, name: str) -> str:
    """A figure as an inline PNG, named for tests and described for screen readers."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=96)
    encoded = base64.b64encode(buffer.getvalue()).decode("ascii")
    title = fig.axes[0].get_title() if fig.axes else name
    return f'<img data-chart="{name}" alt="{escape(title)}" src="data:image/png;base64,{encoded}">'


def table_html(frame: pd.DataFrame, name: str, text_columns: tuple[str, ...] = ()) -> str:
    """A small table; `text_columns` are left-aligned prose. A "risk level" column holds badges
    (already HTML); every other cell is escaped."""
    prose = ' class="text"'
    head = "".join(
        f"<th{prose if c in text_columns else ''}>{escape(c)}</th>" for c in frame.columns
    )
    rows = []
    for values in frame.itertuples(index=False):
        cells = []
        for column, value in zip(frame.columns, values, strict=True):
            css = prose if column in text_columns else ""
            content = value if column == "risk level" else escape(value)
            cells.append(f"<td{css}>{content}</td>")
        rows.append(f"<tr>{''.join(cells)}</tr>")
    return (
        f'<table data-table="{name}"><thead><tr>{head}</tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table>"
    )


def week_label(week: date) -> str:
    """A week as the page names it, by its Monday: "06 Apr 2026"."""
    return f"{week:%d %b %Y}"
