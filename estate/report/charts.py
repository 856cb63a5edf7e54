"""Small bar charts for report.html, drawn as inline SVG (no script, no remote resource).

The functions here only arrange figures the findings already hold into bars with a
length in pixels; the template draws them, so every label goes through HTML escaping.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable


@dataclass
class Bar:
    label: str
    value: float
    text: str
    width: float  # px
    y: float      # px


@dataclass
class BarChart:
    title: str
    bars: list[Bar]
    rest: str     # "and N more (total)" for the items not drawn, or ""
    below: str    # what ``negative_text`` says of the items below zero, or ""
    width: int
    height: int
    label_width: int
    bar_area: int
    empty_text: str


def bar_chart(title: str, values: dict[str, float], fmt, *, top: int = 12,
              empty_text: str = "Nothing to show.",
              negative_text: Callable[[int, str], str] = lambda count, total:
              f"{count:,} below zero ({total} in all)") -> BarChart:
    """Horizontal bars, largest first; the tail beyond ``top`` is summed in a note, not
    drawn as a bar, so one long tail never dwarfs the bars that matter.

    Only values above zero are drawn and summed in that note: the items below zero (a
    capability whose consolidation would cost more than it saves) are counted and summed
    in a note of their own (``negative_text`` of their count and formatted total), so
    neither note mixes the two and a total never reads as the bars' tail."""
    items = sorted(((k, v) for k, v in values.items() if v > 0),
                   key=lambda kv: (-kv[1], kv[0]))
    negative = [v for v in values.values() if v < 0]
    below = negative_text(len(negative), fmt(sum(sorted(negative)))) if negative else ""
    rest = ""
    if len(items) > top:
        tail = items[top:]
        items = items[:top]
        rest = f"and {len(tail):,} more ({fmt(sum(v for _, v in tail))} in all)"
    label_width, bar_area, row = 230, 300, 24
    biggest = max((v for _, v in items), default=0) or 1
    bars = [Bar(label=label, value=value, text=fmt(value),
                width=max(1.0, round(bar_area * value / biggest, 1)), y=i * row + 4)
            for i, (label, value) in enumerate(items)]
    return BarChart(title=title, bars=bars, rest=rest, below=below, width=label_width + bar_area + 110,
                    height=len(bars) * row + 8, label_width=label_width, bar_area=bar_area,
                    empty_text=empty_text)
