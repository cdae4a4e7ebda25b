"""Charts drawn on the server as inline SVG, for the PDFs (WeasyPrint runs no JavaScript;
the pages draw theirs with Chart.js from the same figures).

``bar_chart_svg`` draws grouped bars: one group per label (a week), one bar per series
(expected, P10, P90), a zero line, the largest value on the axis and a legend. Values are
Decimal; the axis text is in the house styles (``format_money``) of the active language.
"""

from dataclasses import dataclass, field
from decimal import Decimal
from xml.sax.saxutils import escape, quoteattr

from .money import format_money

COLOURS = ("#0b5cad", "#8fb4dc", "#f0a04b", "#5aa469")
WIDTH, HEIGHT = 720, 220
LEFT, RIGHT, TOP, BOTTOM = 90, 10, 24, 40


@dataclass
class BarChart:
    title: str
    labels: list[str]
    series: list[tuple[str, list[Decimal]]] = field(default_factory=list)
    currency: str = "MXN"


def _largest(chart: BarChart) -> Decimal:
    values = [abs(Decimal(v)) for _label, data in chart.series for v in data if v is not None]
    return max(values, default=Decimal(0)) or Decimal(1)


def _bars(chart: BarChart, top_value: Decimal) -> list[str]:
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    group_w = plot_w / max(len(chart.labels), 1)
    bar_w = group_w * 0.8 / max(len(chart.series), 1)
    parts = []
    for s_index, (_label, data) in enumerate(chart.series):
        colour = COLOURS[s_index % len(COLOURS)]
        for index, value in enumerate(data):
            height = float(abs(Decimal(value or 0)) / top_value) * plot_h
            x = LEFT + index * group_w + group_w * 0.1 + s_index * bar_w
            parts.append(
                f'<rect x="{x:.1f}" y="{TOP + plot_h - height:.1f}" width="{bar_w:.1f}" '
                f'height="{height:.1f}" fill="{colour}"/>'
            )
    return parts


def _labels(chart: BarChart) -> list[str]:
    plot_w = WIDTH - LEFT - RIGHT
    group_w = plot_w / max(len(chart.labels), 1)
    every = max(1, len(chart.labels) // 7)  # at most about seven labels fit the axis
    return [
        f'<text x="{LEFT + index * group_w + group_w / 2:.1f}" y="{HEIGHT - BOTTOM + 14}" '
        f'text-anchor="middle">{escape(label)}</text>'
        for index, label in enumerate(chart.labels)
        if index % every == 0
    ]


def _legend(chart: BarChart) -> list[str]:
    parts, x = [], LEFT
    for index, (label, _data) in enumerate(chart.series):
        colour = COLOURS[index % len(COLOURS)]
        parts.append(f'<rect x="{x}" y="{HEIGHT - 14}" width="10" height="10" fill="{colour}"/>')
        parts.append(f'<text x="{x + 14}" y="{HEIGHT - 5}">{escape(label)}</text>')
        x += 24 + 7 * len(label)
    return parts


def bar_chart_svg(chart: BarChart) -> str:
    top_value = _largest(chart)
    axis_y = HEIGHT - BOTTOM
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'width="100%" role="img" aria-label={quoteattr(chart.title)} '
        'font-family="sans-serif" font-size="9">',
        f'<text x="{LEFT}" y="12" font-weight="bold">{escape(chart.title)}</text>',
        f'<text x="{LEFT - 4}" y="{TOP + 4}" text-anchor="end">'
        f"{escape(format_money(top_value, chart.currency))}</text>",
        f'<text x="{LEFT - 4}" y="{axis_y}" text-anchor="end">'
        f"{escape(format_money(0, chart.currency))}</text>",
        f'<line x1="{LEFT}" y1="{axis_y}" x2="{WIDTH - RIGHT}" y2="{axis_y}" stroke="#666"/>',
        *_bars(chart, top_value),
        *_labels(chart),
        *_legend(chart),
        "</svg>",
    ]
    return "".join(parts)
