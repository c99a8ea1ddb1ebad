"""What every figure shares: the Okabe–Ito palette, the colours with a fixed meaning, a new
figure and the "no data" figure.

The Okabe–Ito palette stays distinguishable with the common forms of colour blindness; the same
meaning always gets the same colour (a risk level is the same colour on the dashboard, in the
report and in the notebooks).
"""

from __future__ import annotations

from matplotlib.figure import Figure

#: The Okabe–Ito colour-blind-safe palette.
OKABE_ITO: dict[str, str] = {
    "black": "#000000",
    "orange": "#E69F00",
    "sky_blue": "#56B4E9",
    "bluish_green": "#009E73",
    "yellow": "#F0E442",
    "blue": "#0072B2",
    "vermillion": "#D55E00",
    "reddish_purple": "#CC79A7",
}
#: Colours for categories without a fixed meaning (roles, units), in the order they are used.
CATEGORICAL: tuple[str, ...] = tuple(
    OKABE_ITO[name]
    for name in (
        "blue",
        "orange",
        "bluish_green",
        "reddish_purple",
        "sky_blue",
        "vermillion",
        "yellow",
        "black",
    )
)
#: Weekly risk levels.
RISK_COLOURS: dict[str, str] = {
    "low": OKABE_ITO["bluish_green"],
    "moderate": OKABE_ITO["orange"],
    "high": OKABE_ITO["vermillion"],
}


def new_figure(width: float, height: float) -> Figure:
    """A figure of `width` × `height` inches, laid out by matplotlib, outside pyplot."""
    return Figure(figsize=(width, height), layout="constrained")


def empty(fig: Figure, title: str, message: str = "no data") -> Figure:
    """`fig` with its title and `message` in place of a chart."""
    ax = fig.subplots()
    ax.set_title(title)
    ax.text(0.5, 0.5, message, ha="center", va="center", transform=ax.transAxes)
    ax.set_axis_off()
    return fig
