"""Charts drawn on the server as inline SVG from our own data: no script, no outside
service, and a table beside each for screen readers."""

from dataclasses import dataclass
from decimal import Decimal


@dataclass(frozen=True)
class Bar:
    label: str
    value: Decimal
    display: str
    x: float
    y: float
    width: float
    height: float


@dataclass(frozen=True)
class BarChart:
    bars: list[Bar]
    width: int
    height: int
    maximum_display: str
    total_display: str


def bar_chart(points, *, display=str, width: int = 600, height: int = 160) -> BarChart:
    """points: (label, value) pairs in order. Bar heights are relative to the largest."""
    points = list(points)
    values = [Decimal(value) for _label, value in points]
    top = max(values, default=Decimal("0")) or Decimal("1")
    slot = width / max(len(points), 1)
    bars = []
    for index, ((label, _value), value) in enumerate(zip(points, values, strict=True)):
        bar_height = float(value / top) * (height - 4)
        bars.append(
            Bar(
                label=label,
                value=value,
                display=display(value),
                x=round(index * slot + slot * 0.1, 2),
                y=round(height - bar_height, 2),
                width=round(slot * 0.8, 2),
                height=round(bar_height, 2),
            )
        )
    return BarChart(
        bars=bars,
        width=width,
        height=height,
        maximum_display=display(max(values, default=Decimal("0"))),
        total_display=display(sum(values, Decimal("0"))),
    )
