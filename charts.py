"""Charts of the PDF reports, drawn as inline SVG: wkhtmltopdf runs no JavaScript."""

import math

from markupsafe import Markup
from markupsafe import escape

from .rules import format_number


def bar_chart_svg(bars, width=640, height=200, color="#1f4e6b", locale="en_US"):
    """Bar chart of ``bars``, a list of ``(label, value)``, values labelled above the bars in ``locale``'s way."""
    left, bottom = 40, 30
    plot_h = height - bottom - 20
    peak = max([value for _label, value in bars] or [0.0]) or 1.0
    step = (width - left - 10) / max(len(bars), 1)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="10">',
        f'<line x1="{left}" y1="{height - bottom}" x2="{width - 5}" y2="{height - bottom}" stroke="#999"/>',
    ]
    for index, (label, value) in enumerate(bars):
        bar_h = plot_h * value / peak
        x = left + index * step + step * 0.15
        y = height - bottom - bar_h
        middle = x + step * 0.35
        parts.append(f'<rect x="{x:.1f}" y="{y:.1f}" width="{step * 0.7:.1f}" height="{bar_h:.1f}" fill="{color}"/>')
        if value:
            parts.append(
                f'<text x="{middle:.1f}" y="{y - 3:.1f}" text-anchor="middle" fill="#333">'
                f"{_number(value, locale)}</text>"
            )
        parts.append(
            f'<text x="{middle:.1f}" y="{height - bottom + 14}" text-anchor="middle" fill="#555">{escape(label)}</text>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))


# ------------------------------------------------------------ the service dashboard's charts (issue 18)
# Drawn on a 560 x 230 canvas; ``responsive`` charts scale to their container (a phone's 390 px) and keep their
# proportions, the PDF's keep their size (wkhtmltopdf's WebKit does not scale inline SVG by CSS).
WIDTH, HEIGHT = 560, 230
LEFT, RIGHT, TOP, BOTTOM = 54, 12, 30, 40
HEADROOM = 1.12  # the value written above the highest bar stays clear of the legend


def _number(value, locale="en_US"):
    """A value written on a chart: two decimals at most, none when they are zero, grouped thousands (no decimal
    from 1 000 up), in the reader's way (``183.12`` / ``183,12``)."""
    return format_number(value, 2 if abs(value) < 1000 else 0, locale, trim=True)


def nice_ticks(low, high, count=4, integers=False):
    """Round axis values covering [low, high]: 0 always among them, steps of 1, 2, 2.5 or 5 times a power of 10."""
    low, high = min(low, 0.0), max(high, 0.0)
    if high - low <= 0:
        high = 1.0
    raw = (high - low) / count
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(factor * magnitude for factor in (1, 2, 2.5, 5, 10) if factor * magnitude >= raw * (1 - 1e-9))
    if integers:
        step = max(step, 1)
    first = math.floor(low / step + 1e-9)
    last = math.ceil(high / step - 1e-9)
    return [round(index * step, 10) for index in range(first, last + 1)]


def _frame(title, ticks, unit="", responsive=True, locale="en_US"):
    """The SVG's opening, its horizontal grid lines and axis values, and the function placing a value."""
    plot_h = HEIGHT - TOP - BOTTOM
    low, high = ticks[0], ticks[-1]

    def y_of(value):
        return TOP + plot_h * (high - value) / ((high - low) or 1.0)

    size = (
        f'width="100%" style="max-width:{WIDTH}px;height:auto;display:block"'
        if responsive
        else f'width="{WIDTH}" height="{HEIGHT}"'
    )
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" {size} viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'preserveAspectRatio="xMidYMid meet" font-family="sans-serif" font-size="12" role="img">',
        f"<title>{escape(title)}</title>",
    ]
    for tick in ticks:
        y = y_of(tick)
        parts.append(
            f'<line x1="{LEFT}" y1="{y:.1f}" x2="{WIDTH - RIGHT}" y2="{y:.1f}" '
            f'stroke="{"#888" if tick == 0 else "#ddd"}"/>'
        )
        parts.append(
            f'<text x="{LEFT - 5}" y="{y + 4:.1f}" text-anchor="end" fill="#555">'
            f"{_number(tick, locale)}{escape(unit)}</text>"
        )
    return parts, y_of


def _x_labels(parts, labels, step):
    for index, label in enumerate(labels):
        middle = LEFT + index * step + step / 2
        lines = str(label).split("\n")
        for row, text in enumerate(lines):
            parts.append(
                f'<text x="{middle:.1f}" y="{HEIGHT - BOTTOM + 17 + 14 * row}" text-anchor="middle" '
                f'fill="#555">{escape(text)}</text>'
            )


def _legend(parts, entries):
    x = LEFT
    for name, color, shape in entries:
        if shape == "line":
            parts.append(f'<line x1="{x:g}" y1="12" x2="{x + 14:g}" y2="12" stroke="{color}" stroke-width="3"/>')
        else:
            parts.append(f'<rect x="{x:g}" y="6" width="12" height="12" fill="{color}"/>')
        parts.append(f'<text x="{x + 18:g}" y="16" fill="#333">{escape(name)}</text>')
        x += 34 + 8.5 * len(str(name))  # room for the larger letters of a phone (see itsm_dashboard_styles)


def stacked_bars_svg(title, labels, series, responsive=True, locale="en_US"):
    """Stacked bars: ``series`` is a list of ``(name, colour, values)``, one value per label; totals above."""
    totals = [sum(values[index] for _name, _color, values in series) for index in range(len(labels))]
    parts, y_of = _frame(
        title, nice_ticks(0, HEADROOM * max(totals or [0]) or 1, integers=True), responsive=responsive, locale=locale
    )
    step = (WIDTH - LEFT - RIGHT) / max(len(labels), 1)
    for index, total in enumerate(totals):
        x = LEFT + index * step + step * 0.15
        base = 0
        for _name, color, values in series:
            value = values[index]
            if value:
                top, bottom = y_of(base + value), y_of(base)
                parts.append(
                    f'<rect x="{x:.1f}" y="{top:.1f}" width="{step * 0.7:.1f}" height="{bottom - top:.1f}" '
                    f'fill="{color}"/>'
                )
                base += value
        if total:
            parts.append(
                f'<text x="{x + step * 0.35:.1f}" y="{y_of(total) - 4:.1f}" text-anchor="middle" '
                f'fill="#333">{_number(total, locale)}</text>'
            )
    _x_labels(parts, labels, step)
    _legend(parts, [(name, color, "box") for name, color, _values in series])
    parts.append("</svg>")
    return Markup("".join(parts))


def rate_lines_svg(title, labels, series, responsive=True, locale="en_US"):
    """Shares in per cent per label, one line per ``(name, colour, [(part, whole)])``; no point where the whole
    is 0 (nothing measured is not 0 % nor 100 %)."""
    parts, y_of = _frame(title, [0, 25, 50, 75, 100], unit=" %", responsive=responsive, locale=locale)
    step = (WIDTH - LEFT - RIGHT) / max(len(labels), 1)
    for _name, color, cells in series:
        segment = []
        for index, (part, whole) in enumerate(cells):
            if not whole:
                if len(segment) > 1:
                    parts.append(
                        f'<polyline points="{" ".join(segment)}" fill="none" stroke="{color}" stroke-width="2"/>'
                    )
                segment = []
                continue
            x, y = LEFT + index * step + step / 2, y_of(100.0 * part / whole)
            segment.append(f"{x:.1f},{y:.1f}")
            parts.append(
                f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3.5" fill="{color}"><title>{part}/{whole}</title></circle>'
            )
        if len(segment) > 1:
            parts.append(f'<polyline points="{" ".join(segment)}" fill="none" stroke="{color}" stroke-width="2"/>')
    _x_labels(parts, labels, step)
    _legend(parts, [(name, color, "line") for name, color, _cells in series])
    parts.append("</svg>")
    return Markup("".join(parts))


def bars_and_line_svg(title, labels, bars, line, responsive=True, locale="en_US"):
    """Bars ``(name, colour, values)`` and, on the same axis, a line ``(name, colour, values)`` (or None)."""
    values = list(bars[2]) + (list(line[2]) if line else [])
    parts, y_of = _frame(
        title,
        nice_ticks(min(values or [0]), HEADROOM * max(values or [0]) or 1),
        responsive=responsive,
        locale=locale,
    )
    step = (WIDTH - LEFT - RIGHT) / max(len(labels), 1)
    for index, value in enumerate(bars[2]):
        if value:
            x = LEFT + index * step + step * 0.2
            top, bottom = sorted((y_of(value), y_of(0)))
            parts.append(
                f'<rect x="{x:.1f}" y="{top:.1f}" width="{step * 0.6:.1f}" height="{bottom - top:.1f}" '
                f'fill="{bars[1]}"/>'
            )
            parts.append(
                f'<text x="{x + step * 0.3:.1f}" y="{top - 4:.1f}" text-anchor="middle" fill="#333">'
                f"{_number(value, locale)}</text>"
            )
    if line:
        points = [f"{LEFT + index * step + step / 2:.1f},{y_of(value):.1f}" for index, value in enumerate(line[2])]
        parts.append(f'<polyline points="{" ".join(points)}" fill="none" stroke="{line[1]}" stroke-width="2.5"/>')
        for point, value in zip(points, line[2], strict=True):
            x, y = point.split(",")
            parts.append(
                f'<circle cx="{x}" cy="{y}" r="3" fill="{line[1]}"><title>{_number(value, locale)}</title></circle>'
            )
    _x_labels(parts, labels, step)
    _legend(parts, [(bars[0], bars[1], "box")] + ([(line[0], line[1], "line")] if line else []))
    parts.append("</svg>")
    return Markup("".join(parts))
