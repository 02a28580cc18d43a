"""Horizontal bar charts drawn on the server as inline SVG: no JavaScript, readable by screen readers
(each chart has a title and a description, each bar a tooltip), and the numbers are always in the
table beside the chart as well.

This module only computes the geometry; ``templates/statistics/_bar_chart.html`` draws it, so
every label goes through the template's escaping.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

WIDTH = 640
LABEL_WIDTH = 290
BAR_START = LABEL_WIDTH + 8
BAR_SPACE = WIDTH - BAR_START - 70  # room on the right for the value
ROW = 26
BAR_HEIGHT = 18
PADDING = 6
LABEL_CHARS = 40


@dataclass(frozen=True)
class Bar:
    label: str
    value: float
    display: str


@dataclass(frozen=True)
class DrawnBar:
    label: str
    short_label: str
    display: str
    # Coordinates as text: a template's number localisation must never put a comma into SVG.
    y: str
    text_y: str
    width: str
    value_x: str


@dataclass(frozen=True)
class Chart:
    bars: list[DrawnBar]
    width: int
    height: int
    label_x: int
    bar_x: int
    bar_height: int


def shorten(label: str, limit: int = LABEL_CHARS) -> str:
    """Cut a long label in the middle: titles often differ only at the end (“…, volume 12”)."""
    if len(label) <= limit:
        return label
    head = (limit - 1) * 2 // 3
    return label[:head].rstrip() + "…" + label[len(label) - (limit - 1 - head):].lstrip()


def bar_chart(bars: Sequence[Bar], *, scale: float | None = None) -> Chart | None:
    """The geometry of a chart of ``bars`` (``None`` without any); ``scale`` is the value of a full bar."""
    if not bars:
        return None
    top = scale or max((bar.value for bar in bars), default=0) or 1
    drawn = []
    for index, bar in enumerate(bars):
        y = PADDING + index * ROW
        width = max(0.0, min(1.0, bar.value / top)) * BAR_SPACE
        drawn.append(DrawnBar(label=bar.label, short_label=shorten(bar.label), display=bar.display,
                              y=_number(y), text_y=_number(y + BAR_HEIGHT - 4), width=_number(width),
                              value_x=_number(BAR_START + width + 6)))
    return Chart(bars=drawn, width=WIDTH, height=PADDING * 2 + len(bars) * ROW, label_x=LABEL_WIDTH,
                 bar_x=BAR_START, bar_height=BAR_HEIGHT)


def _number(value: float) -> str:
    return f"{value:.1f}"
