"""Charts of the PDF reports, drawn as inline SVG: wkhtmltopdf runs no JavaScript."""

from markupsafe import Markup
from markupsafe import escape


def bar_chart_svg(bars, width=640, height=200, color="#1f4e6b"):
    """Bar chart of ``bars``, a list of ``(label, value)``, values labelled above the bars."""
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
            parts.append(f'<text x="{middle:.1f}" y="{y - 3:.1f}" text-anchor="middle" fill="#333">{value:g}</text>')
        parts.append(
            f'<text x="{middle:.1f}" y="{height - bottom + 14}" text-anchor="middle" fill="#555">{escape(label)}</text>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))
