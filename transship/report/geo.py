"""Country shapes for maps: Natural Earth 1:110m (world-atlas TopoJSON), decoded in Python.

The web UI hands the same TopoJSON file to ECharts in the browser; the report and its PDF
cannot run JavaScript, so this module decodes the file itself and draws the map as inline
SVG. Decoding TopoJSON is a few lines (quantised, delta-encoded arcs; a ring is a list of
arc indexes, a negative index ~i meaning arc i reversed), so no geo library is needed.

Projection: equirectangular (x = longitude, y = latitude), cropped to 60°S-84°N. It is the
plainest projection that keeps a leg's straight line readable and needs no trigonometry
to invert; Natural Earth's shapes are cut at the antimeridian, so nothing wraps.

The file is shipped under ``transship/serve/static/vendor/world-atlas`` (public-domain
shapes, ISC-licensed packaging; see the README there) and read once per process.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

from transship.exc import UnknownCode
from transship.normalise.territories import from_iso, lookup

#: Where the shipped TopoJSON lives inside the package (also served at /static/vendor/...).
TOPOJSON = ("transship.serve", "static/vendor/world-atlas/countries-110m.json")
#: Shapes world-atlas ships without an ISO numeric id, named instead.
_UNNUMBERED = {"Kosovo": "Kosovo"}
#: Label points where the largest polygon's centroid misleads (Russia's mainland polygon
#: runs past 180°E in this file, putting its centroid in the Pacific).
_LABEL = {"RUS": (96.0, 62.0)}
#: Map window (degrees): Antarctica and the high Arctic only take space.
LAT_MIN, LAT_MAX = -60.0, 84.0
LON_MIN, LON_MAX = -180.0, 180.0

Ring = list[tuple[float, float]]


@dataclass(frozen=True, slots=True)
class Shape:
    """One country: its ISO3 code, ISO numeric id, Natural Earth name, polygons (each a
    list of rings, the first the outline) and a label point (centroid of its largest
    polygon, so France sits in Europe rather than in the Atlantic)."""

    iso3: str | None
    m49: str | None
    name: str
    polygons: tuple[tuple[Ring, ...], ...]
    centroid: tuple[float, float]


def topojson_text() -> str:
    """The shipped TopoJSON file, as text."""
    package, name = TOPOJSON
    return (resources.files(package) / name).read_text(encoding="utf-8")


def _decode_arcs(topo: dict[str, Any]) -> list[Ring]:
    transform = topo.get("transform")
    arcs: list[Ring] = []
    for arc in topo["arcs"]:
        points: Ring = []
        if transform:
            (sx, sy), (tx, ty) = transform["scale"], transform["translate"]
            x = y = 0
            for dx, dy in arc:
                x += dx
                y += dy
                points.append((x * sx + tx, y * sy + ty))
        else:
            points = [(float(p[0]), float(p[1])) for p in arc]
        arcs.append(points)
    return arcs


def _ring(indexes: list[int], arcs: list[Ring]) -> Ring:
    out: Ring = []
    for i in indexes:
        arc = arcs[i] if i >= 0 else list(reversed(arcs[~i]))
        # consecutive arcs share their end point
        out.extend(arc if not out else arc[1:])
    return out


def _area_centroid(ring: Ring) -> tuple[float, float, float]:
    """Signed area and centroid of a ring (shoelace formula)."""
    a = cx = cy = 0.0
    for (x0, y0), (x1, y1) in zip(ring, ring[1:] + ring[:1], strict=True):
        cross = x0 * y1 - x1 * y0
        a += cross
        cx += (x0 + x1) * cross
        cy += (y0 + y1) * cross
    a /= 2.0
    if abs(a) < 1e-12:
        xs = [p[0] for p in ring] or [0.0]
        ys = [p[1] for p in ring] or [0.0]
        return 0.0, sum(xs) / len(xs), sum(ys) / len(ys)
    return a, cx / (6.0 * a), cy / (6.0 * a)


def _iso3(m49: str | None, name: str) -> str | None:
    try:
        if m49 is not None:
            return from_iso(m49).iso3
        if name in _UNNUMBERED:
            return lookup(_UNNUMBERED[name]).iso3
    except UnknownCode:
        return None
    return None


@cache
def shapes() -> dict[str, Shape]:
    """Country shapes by ISO3 (shapes without one, e.g. N. Cyprus, are left out)."""
    topo = json.loads(topojson_text())
    arcs = _decode_arcs(topo)
    out: dict[str, Shape] = {}
    for geom in topo["objects"]["countries"]["geometries"]:
        kind = geom.get("type")
        if kind == "Polygon":
            polys = [geom["arcs"]]
        elif kind == "MultiPolygon":
            polys = geom["arcs"]
        else:
            continue
        name = str(geom.get("properties", {}).get("name", ""))
        m49 = geom.get("id")
        iso3 = _iso3(str(m49) if m49 is not None else None, name)
        if iso3 is None:
            continue
        polygons = tuple(tuple(_ring(r, arcs) for r in poly) for poly in polys)
        best = max(
            (_area_centroid(poly[0]) for poly in polygons if poly and poly[0]),
            key=lambda t: abs(t[0]),
            default=(0.0, 0.0, 0.0),
        )
        point = _LABEL.get(iso3, (best[1], best[2]))
        out[iso3] = Shape(iso3, str(m49) if m49 is not None else None, name, polygons, point)
    return out


def centroid(iso3: str) -> tuple[float, float] | None:
    """(longitude, latitude) to draw a territory at, or None when there is no shape."""
    shape = shapes().get(iso3.upper())
    return shape.centroid if shape else None


def m49_to_iso3() -> dict[str, str]:
    """The TopoJSON feature ids (ISO numeric) and their ISO3 codes; Kosovo, which has no
    id in the file, under its name."""
    out: dict[str, str] = {}
    for s in shapes().values():
        if s.iso3:
            out[s.m49 if s.m49 is not None else s.name] = s.iso3
    return out


def project(lon: float, lat: float, width: float, height: float) -> tuple[float, float]:
    """Equirectangular projection into a width x height box (latitudes outside
    LAT_MIN..LAT_MAX fall outside the box, where a viewBox crops them)."""
    x = (lon - LON_MIN) / (LON_MAX - LON_MIN) * width
    y = (LAT_MAX - lat) / (LAT_MAX - LAT_MIN) * height
    return x, y


def svg_path(shape: Shape, width: float, height: float) -> str:
    """An SVG path ``d`` for a shape (rings closed, coordinates rounded to 0.1 px)."""
    parts: list[str] = []
    for poly in shape.polygons:
        for ring in poly:
            if len(ring) < 3:
                continue
            pts = [project(x, y, width, height) for x, y in ring]
            parts.append("M" + "L".join(f"{x:.1f},{y:.1f}" for x, y in pts) + "Z")
    return "".join(parts)


__all__ = ["Shape", "centroid", "m49_to_iso3", "project", "shapes", "svg_path", "topojson_text"]
