"""Draw the routes' Sankey data (``transship.flows.routes.sankey``) as a picture.

A researcher or a journalist wants to *see* where the origin's exports go: one column per
hop, a band per leg as wide as the value it carries. This module turns the nodes/links
structure into a self-contained SVG (or an HTML page holding it and the route table), with
no script, no web font and nothing fetched: it opens offline, prints, and pastes into a
report. Simulated data says so in the picture itself, not only in the file name.

Why not a plotting library: the picture is a few dozen rectangles and Bezier bands, and the
candidates (Plotly, matplotlib) would add tens of megabytes or a JavaScript bundle for it.
"""

from __future__ import annotations

import html
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

WIDTH = 960
NODE_WIDTH = 14
MARGIN_TOP = 70
MARGIN_BOTTOM = 30
MARGIN_SIDE = 110
COLUMN_HEIGHT = 420
NODE_GAP = 18
ROLE_COLOURS = {"origin": "#1f3b5c", "intermediary": "#c27c0e", "destination": "#a61b29"}
LINK_COLOURS = ["#4e79a7", "#f28e2b", "#59a14f", "#b07aa1", "#76b7b2", "#edc948", "#9c755f"]


def _usd(value: float) -> str:
    if value >= 1e9:
        return f"${value / 1e9:.2f} bn"
    if value >= 1e6:
        return f"${value / 1e6:.1f} m"
    if value >= 1e3:
        return f"${value / 1e3:.0f} k"
    return f"${value:.0f}"


#: Evidence rows a band's hover lists.
TIP_ROWS = 5
_FLOWS = {
    "M": "reports import from",
    "X": "reports export to",
    "RM": "reports re-import from",
    "RX": "reports re-export to",
}


def evidence_lines(link: dict[str, Any]) -> list[str]:
    """The rows a band's hover names: its largest evidence rows with file and line where the
    caller looked them up (``evidence_preview``, as the report and the web UI do), else its
    record ids (file sha256 prefix and line, which `transship sql` or the web UI's record
    page open), and how many more there are."""
    ids = [str(i) for i in link.get("record_ids", [])]
    preview = link.get("evidence_preview")
    if preview:
        lines = [
            f"{e.get('year')} {e.get('reporter')} {_FLOWS.get(str(e.get('flow')), e.get('flow'))} "
            f"{e.get('partner')} {_usd(float(e.get('value_usd') or 0.0))}: "
            f"{e.get('file_name')}, line {e.get('line')}"
            for e in preview[:TIP_ROWS]
        ]
    else:
        lines = [f"record {i}" for i in sorted(ids)[:TIP_ROWS]]
    more = int(link.get("record_count") or len(ids)) - len(lines)
    if more > 0:
        lines.append(f"… and {more} more evidence rows")
    return lines


def _layout(data: dict[str, Any]) -> tuple[list[dict[str, Any]], list[dict[str, Any]], float]:
    """Node boxes (x, y, height) and link bands (y at each end, width); the height used."""
    nodes = [dict(n) for n in data["nodes"]]
    links = [dict(link) for link in data["links"]]
    if not nodes:
        return nodes, links, 0.0
    inflow: dict[int, float] = defaultdict(float)
    outflow: dict[int, float] = defaultdict(float)
    for link in links:
        outflow[link["source"]] += link["value"]
        inflow[link["target"]] += link["value"]
    # Destinations take the last column, one after the deepest intermediary (a destination
    # node is shared by routes of different lengths, so its own hop is not its column).
    last = max(
        [n["hop"] for n in nodes] + [n["hop"] + 1 for n in nodes if n["role"] == "intermediary"]
    )
    for i, n in enumerate(nodes):
        n["through"] = max(inflow[i], outflow[i])
        n["column"] = (
            0 if n["role"] == "origin" else last if n["role"] == "destination" else n["hop"]
        )
    columns: dict[int, list[int]] = defaultdict(list)
    for i, n in enumerate(nodes):
        columns[n["column"]].append(i)
    # One scale for every column: the fullest column fills the height, less its gaps.
    scale = min(
        (COLUMN_HEIGHT - NODE_GAP * (len(ids) - 1))
        / max(sum(nodes[i]["through"] for i in ids), 1e-9)
        for ids in columns.values()
    )
    span = (WIDTH - 2 * MARGIN_SIDE - NODE_WIDTH) / max(last, 1)
    for col, ids in columns.items():
        ids.sort(key=lambda i: -nodes[i]["through"])
        used = sum(max(nodes[i]["through"] * scale, 2.0) for i in ids) + NODE_GAP * (len(ids) - 1)
        y = MARGIN_TOP + (COLUMN_HEIGHT - used) / 2
        for i in ids:
            h = max(nodes[i]["through"] * scale, 2.0)
            nodes[i].update(x=MARGIN_SIDE + col * span, y=y, h=h, out_y=y, in_y=y)
            y += h + NODE_GAP
    # Bands stack in each node from the top, biggest first.
    for link in sorted(links, key=lambda k: -k["value"]):
        w = max(link["value"] * scale, 1.0)
        src, dst = nodes[link["source"]], nodes[link["target"]]
        link.update(w=w, y0=src["out_y"] + w / 2, y1=dst["in_y"] + w / 2)
        src["out_y"] += w
        dst["in_y"] += w
    return nodes, links, float(COLUMN_HEIGHT)


def render_svg(data: dict[str, Any], title: str = "") -> str:
    """The Sankey diagram as a standalone SVG document."""
    nodes, links, height = _layout(data)
    total_h = int(MARGIN_TOP + height + MARGIN_BOTTOM)
    simulated = bool(data.get("simulated"))
    out: list[str] = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{total_h}" '
        f'viewBox="0 0 {WIDTH} {total_h}" font-family="sans-serif" font-size="12">',
        f'<rect width="{WIDTH}" height="{total_h}" fill="white"/>',
        f'<text x="{MARGIN_SIDE}" y="24" font-size="16" font-weight="bold">'
        f"{html.escape(title or 'Routes')}</text>",
        f'<text x="{MARGIN_SIDE}" y="44" fill="#555">{html.escape(str(data.get("unit", "")))}; '
        "band width = attributed value; hover a band for its evidence</text>",
    ]
    if simulated:
        out.append(
            f'<text x="{WIDTH - 20}" y="24" text-anchor="end" font-size="16" font-weight="bold" '
            'fill="#b00020">SIMULATED DATA</text>'
        )
    if not nodes:
        out.append(f'<text x="{MARGIN_SIDE}" y="{MARGIN_TOP + 20}">No routes found.</text>')
    colour_of: dict[int, str] = {}
    for link in sorted(links, key=lambda k: -k["value"]):
        key = link["source"] if nodes[link["source"]]["role"] != "origin" else link["target"]
        colour = colour_of.setdefault(key, LINK_COLOURS[len(colour_of) % len(LINK_COLOURS)])
        src, dst = nodes[link["source"]], nodes[link["target"]]
        x0, x1 = src["x"] + NODE_WIDTH, dst["x"]
        mid = (x0 + x1) / 2
        tip = "\n".join(
            [
                f"{src['name']} -> {dst['name']}: {_usd(link['value'])}; "
                f"{len(link['routes'])} route(s), {len(link['record_ids'])} evidence rows:",
                *evidence_lines(link),
            ]
        )
        out.append(
            f'<path d="M{x0:.1f},{link["y0"]:.1f} C{mid:.1f},{link["y0"]:.1f} '
            f'{mid:.1f},{link["y1"]:.1f} {x1:.1f},{link["y1"]:.1f}" fill="none" '
            f'stroke="{colour}" stroke-opacity="0.45" stroke-width="{link["w"]:.1f}">'
            f"<title>{html.escape(tip)}</title></path>"
        )
    for n in nodes:
        fill = ROLE_COLOURS.get(n["role"], "#666")
        out.append(
            f'<rect x="{n["x"]:.1f}" y="{n["y"]:.1f}" width="{NODE_WIDTH}" height="{n["h"]:.1f}" '
            f'fill="{fill}"><title>{html.escape(n["name"])} ({n["role"]}): '
            f"{_usd(n['through'])}</title></rect>"
        )
        # Labels right of the box; the origin's left of it, in the margin.
        left = n["role"] == "origin"
        tx = n["x"] - 6 if left else n["x"] + NODE_WIDTH + 6
        anchor = "end" if left else "start"
        cy = n["y"] + n["h"] / 2
        out.append(
            f'<text x="{tx:.1f}" y="{cy:.1f}" text-anchor="{anchor}" font-weight="bold">'
            f"{html.escape(n['name'])}</text>"
            f'<text x="{tx:.1f}" y="{cy + 13:.1f}" text-anchor="{anchor}" fill="#555" '
            f'font-size="11">{_usd(n["through"])}</text>'
        )
    out.append("</svg>")
    return "\n".join(out)


def render_html(data: dict[str, Any], title: str = "", notes: Sequence[str] = ()) -> str:
    """An offline HTML page: the diagram, then the routes as a table."""
    rows = "\n".join(
        "<tr><td>{}</td><td>{}</td><td>{:.1%}</td><td>{}</td><td>{:.2f}</td></tr>".format(
            html.escape(" → ".join(r["path"])),
            html.escape(str(r.get("product") or "")),
            r["share"],
            _usd(r["value_usd"]),
            r["score"],
        )
        for r in data.get("routes", [])
    )
    banner = (
        '<p style="color:#b00020;font-weight:bold">SIMULATED DATA: not a statement about '
        "real transfers.</p>"
        if data.get("simulated")
        else ""
    )
    extra = "".join(f"<p>{html.escape(n)}</p>" for n in notes)
    return (
        "<!doctype html><html><head><meta charset='utf-8'>"
        f"<title>{html.escape(title or 'Routes')}</title>"
        "<style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}"
        "td,th{border-bottom:1px solid #ddd;padding:4px 10px;text-align:left}</style>"
        f"</head><body>{banner}{render_svg(data, title)}{extra}"
        "<table><tr><th>path</th><th>product</th><th>share of origin's exports</th>"
        f"<th>value</th><th>score</th></tr>{rows}</table></body></html>"
    )


__all__ = ["evidence_lines", "render_html", "render_svg"]
