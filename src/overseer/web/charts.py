"""Geometry of the server-side SVG charts (the templates draw what these compute): a bar per day, a round y scale."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta

WIDTH, HEIGHT = 1240, 240
LEFT, RIGHT, TOP, BOTTOM = 52, 8, 10, 24


@dataclass(frozen=True)
class Bar:
    day: date
    value: float
    x: float
    y: float
    width: float
    height: float


@dataclass(frozen=True)
class Tick:
    value: float
    y: float


@dataclass(frozen=True)
class Label:
    text: str
    x: float


@dataclass(frozen=True)
class BarChart:
    bars: list[Bar]
    ticks: list[Tick]
    labels: list[Label]
    width: int = WIDTH
    height: int = HEIGHT
    left: int = LEFT
    top: int = TOP
    bottom: float = HEIGHT - BOTTOM

    @property
    def empty(self) -> bool:
        return not any(b.value for b in self.bars)


def nice_ceiling(value: float) -> float:
    """The smallest of 1, 2, 2.5, 5 times a power of ten that is at least ``value`` (the top of the y axis)."""
    if value <= 0:
        return 1.0
    power = 10.0 ** math.floor(math.log10(value))
    return next(step * power for step in (1, 2, 2.5, 5, 10) if step * power >= value - 1e-12)


def daily_bars(values: Mapping[str, float], start: date, days: int) -> BarChart:
    """One bar per day from ``start`` (``values`` keyed by ISO date; a missing day is zero), four y ticks, a label a week."""
    shown = [(start + timedelta(days=n), float(values.get((start + timedelta(days=n)).isoformat(), 0.0))) for n in range(days)]
    top = nice_ceiling(max((v for _, v in shown), default=0.0))  # only the days drawn: an older peak would flatten them
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    slot = plot_w / days
    bars, labels = [], []
    for n, (day, value) in enumerate(shown):
        height = plot_h * value / top
        x = LEFT + n * slot
        bars.append(Bar(day, value, round(x + slot * 0.15, 2), round(TOP + plot_h - height, 2), round(slot * 0.7, 2), round(height, 2)))
        if (days - 1 - n) % 7 == 0:  # a label a week, the last on the newest day
            labels.append(Label(day.strftime("%b %d"), round(x + slot / 2, 2)))
    ticks = [Tick(top * k / 4, round(TOP + plot_h - plot_h * k / 4, 2)) for k in range(5)]
    return BarChart(bars, ticks, labels)
