"""The report's figures as inline SVG drawn in Python: a map of route legs, horizontal bars.

Why SVG from Python rather than the web UI's ECharts: the report must open offline in any
browser and print to PDF through WeasyPrint, which runs no JavaScript; ECharts can only
render SVG where JavaScript runs (a headless browser or Node at report time). The figures
are a few dozen shapes each, so drawing them directly costs milliseconds and no dependency.
The Sankey diagram reuses :mod:`transship.report.sankey` (the picture ``transship routes
--sankey`` draws), with country names as labels. Every text is escaped; a figure made from
simulated data says SIMULATED inside the picture itself.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Sequence
from typing import Any

from transship.report import geo
from transship.report.sankey import evidence_lines, render_svg
from transship.report.views.common import usd

PALETTE = ["#4e79a7", "#f28e2b", "#59a14f", "#b07aa1", "#76b7b2", "#edc948", "#9c755f", "#e15759"]
ROLE_COLOURS = {"origin": "#1f3b5c", "intermediary": "#c27c0e", "destination": "#a61b29"}
FONT = 'font-family="DejaVu Sans, sans-serif"'


def _e(text: Any) -> str:
    return html.escape(str(text), quote=True)


def _stamp(width: float, simulated: bool) -> str:
    if not simulated:
        return ""
    return (
        f'<text x="{width - 10:.0f}" y="20" text-anchor="end" font-size="15" '
        'font-weight="bold" fill="#b00020">SIMULATED</text>'
    )


def sankey_svg(diagram: dict[str, Any], title: str) -> str:
    """The routes' Sankey diagram (``transship.flows.routes.sankey`` data, labelled)."""
    data = dict(diagram)
    data["nodes"] = [dict(n, name=n.get("label") or n.get("name")) for n in diagram["nodes"]]
    svg = render_svg(data, title)
    # the standalone document's XML declaration-free <svg> is inlined as is; make it scale
    return svg.replace("<svg ", '<svg class="figure" role="img" ', 1)


def map_svg(route_map: dict[str, Any], simulated: bool, width: int = 960) -> str:
    """Country shapes, the route legs as curves (width by value), territories labelled;
    cropped to the territories on the routes."""
    height = width * (geo.LAT_MAX - geo.LAT_MIN) / (geo.LON_MAX - geo.LON_MIN)
    nodes = [n for n in route_map.get("nodes", []) if n.get("lon") is not None]
    points = {n["iso3"]: geo.project(n["lon"], n["lat"], width, height) for n in nodes}
    if points:
        xs = [p[0] for p in points.values()]
        ys = [p[1] for p in points.values()]
        pad = 60.0
        x0, x1 = max(0.0, min(xs) - pad), min(float(width), max(xs) + pad)
        y0, y1 = max(0.0, min(ys) - pad), min(height, max(ys) + pad)
        # keep a 2:1 frame so small regions are not stretched
        if (x1 - x0) < 2 * (y1 - y0):
            grow = (2 * (y1 - y0) - (x1 - x0)) / 2
            x0, x1 = max(0.0, x0 - grow), min(float(width), x1 + grow)
        else:
            grow = ((x1 - x0) / 2 - (y1 - y0)) / 2
            y0, y1 = max(0.0, y0 - grow), min(height, y1 + grow)
    else:
        x0, y0, x1, y1 = 0.0, 0.0, float(width), height
    roles = {n["iso3"]: n.get("role", "") for n in nodes}
    fills = {"origin": "#c9d6e6", "intermediary": "#f3e2c4", "destination": "#f0cfd3"}
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="figure" role="img" '
        f'viewBox="{x0:.1f} {y0:.1f} {x1 - x0:.1f} {y1 - y0:.1f}" {FONT} font-size="{(x1 - x0) / 70:.1f}">',
        f'<rect x="{x0:.1f}" y="{y0:.1f}" width="{x1 - x0:.1f}" height="{y1 - y0:.1f}" fill="#f7f9fb"/>',
    ]
    for iso3, shape in geo.shapes().items():
        if iso3 == "ATA":  # Antarctica: only space
            continue
        fill = fills.get(roles.get(iso3, ""), "#e3e7eb")
        out.append(
            f'<path d="{geo.svg_path(shape, width, height)}" fill="{fill}" stroke="#b8c0c8" '
            f'stroke-width="{(x1 - x0) / 1500:.2f}"><title>{_e(shape.name)}</title></path>'
        )
    links = route_map.get("links", [])
    top = max([float(link.get("value_usd") or 0.0) for link in links] + [1.0])
    for link in links:
        a, b = points.get(link["from"]), points.get(link["to"])
        if a is None or b is None:
            continue
        mx, my = (a[0] + b[0]) / 2, (a[1] + b[1]) / 2
        dx, dy = b[0] - a[0], b[1] - a[1]
        cx, cy = mx - dy * 0.2, my + dx * 0.2
        w = (1.0 + 7.0 * float(link.get("value_usd") or 0.0) / top) * (x1 - x0) / 960
        out.append(
            f'<path d="M{a[0]:.1f},{a[1]:.1f} Q{cx:.1f},{cy:.1f} {b[0]:.1f},{b[1]:.1f}" '
            f'fill="none" stroke="#4e79a7" stroke-opacity="0.75" stroke-width="{w:.2f}">'
            f"<title>{_e(link['from'])} → {_e(link['to'])}: {_e(usd(link.get('value_usd')))}"
            f"{_e(''.join(chr(10) + line for line in evidence_lines(link)))}</title></path>"
        )
    r = (x1 - x0) / 160
    for n in nodes:
        x, y = points[n["iso3"]]
        colour = ROLE_COLOURS.get(str(n.get("role")), "#666")
        out.append(
            f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{r:.2f}" fill="{colour}">'
            f"<title>{_e(n.get('label', n['iso3']))}</title></circle>"
            f'<text x="{x + r * 1.6:.1f}" y="{y + r * 0.6:.1f}" fill="#1d2630">{_e(n["iso3"])}</text>'
        )
    if simulated:
        size = (x1 - x0) / 45
        out.append(
            f'<text x="{x1 - size / 2:.1f}" y="{y0 + size * 1.3:.1f}" text-anchor="end" '
            f'font-size="{size:.1f}" font-weight="bold" fill="#b00020">SIMULATED</text>'
        )
    out.append("</svg>")
    return "\n".join(out)


def bars_svg(
    items: Sequence[tuple[str, Sequence[tuple[str, float]]]],
    simulated: bool,
    fmt: Callable[[float], str],
    legend: Sequence[str] = (),
    width: int = 900,
    signed: bool = False,
) -> str:
    """Horizontal bars, one per item, each a stack of named segments (a single segment
    for a plain bar). ``signed`` draws negative values left of a zero line."""
    label_w, right, row_h, top = 260, 80, 22, 34
    legend_h = 24 if legend else 0
    height = top + legend_h + row_h * len(items) + 10
    totals = [sum(v for _, v in segs) for _, segs in items]
    lo = min([0.0] + totals) if signed else 0.0
    hi = max([0.0] + totals) or 1.0
    span = (hi - lo) or 1.0
    plot = width - label_w - right
    zero = label_w + plot * (0 - lo) / span
    colour = {name: PALETTE[i % len(PALETTE)] for i, name in enumerate(legend)}
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="figure" role="img" width="{width}" '
        f'height="{height}" viewBox="0 0 {width} {height}" {FONT} font-size="12">',
        f'<rect width="{width}" height="{height}" fill="white"/>',
        _stamp(width, simulated),
    ]
    x = label_w
    for name in legend:
        out.append(
            f'<rect x="{x}" y="{top - 4}" width="10" height="10" fill="{colour[name]}"/>'
            f'<text x="{x + 14}" y="{top + 5}" font-size="11">{_e(name)}</text>'
        )
        x += 14 + 7 * len(name) + 16
    y = top + legend_h
    for (label, segs), total in zip(items, totals, strict=True):
        out.append(f'<text x="{label_w - 8}" y="{y + 15}" text-anchor="end">{_e(label)}</text>')
        cursor = zero
        for name, value in segs:
            w = plot * abs(value) / span
            left = cursor if value >= 0 else cursor - w
            fill = colour.get(name, PALETTE[0])
            out.append(
                f'<rect x="{left:.1f}" y="{y + 4}" width="{w:.1f}" height="{row_h - 8}" '
                f'fill="{fill}"><title>{_e(label)}: {_e(name)} {_e(fmt(value))}</title></rect>'
            )
            cursor = left + w if value >= 0 else left
        tx = zero + plot * total / span
        anchor, dx = ("start", 6) if total >= 0 else ("end", -6)
        out.append(
            f'<text x="{tx + dx:.1f}" y="{y + 15}" text-anchor="{anchor}" fill="#333">'
            f"{_e(fmt(total))}</text>"
        )
        y += row_h
    out.append(
        f'<line x1="{zero:.1f}" y1="{top + legend_h}" x2="{zero:.1f}" y2="{y}" stroke="#888"/>'
    )
    out.append("</svg>")
    return "\n".join(out)


__all__ = ["bars_svg", "map_svg", "sankey_svg"]
