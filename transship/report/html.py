"""``transship report``: one self-contained HTML file (and, on request, a PDF) of what a
store holds and what the flows stages find in it.

The file carries everything inline (styles, figures as SVG; no script, no font or image
fetched), so it opens offline in any browser, attaches to an e-mail and prints. Sections:
what the store holds (tables, datasets, years, sources and licences, parties); routes of one
product from one origin (Sankey diagram, map, table with intervals); hubs; mirror gaps; for
a simulated store the planted routes and hubs beside what was found (and the evaluation
rows when given); a provenance appendix listing every file behind the figures (name,
sha256, rows used). Every figure has a caption and a source line, and says SIMULATED in the
picture when its data is.

The numbers come from :mod:`transship.report.views`, the same functions the web UI pages
use. The PDF is WeasyPrint's rendering of the same HTML (Debian's pango and DejaVu fonts:
Cyrillic and Latin names render with DejaVu Sans).
"""

from __future__ import annotations

import functools
import logging
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from markupsafe import Markup

from transship import __version__
from transship.exc import InvalidInput, NotFound
from transship.report import charts
from transship.report.views.common import (
    clean,
    has_table,
    place,
    product_label,
    rows,
    source_info,
    territory_label,
    usd,
)
from transship.report.views.flows import (
    compute_routes,
    hubs_view,
    mirror_view,
    route_query,
    routes_view,
)
from transship.report.views.holdings import holdings
from transship.store import Store

log = logging.getLogger(__name__)

#: Rows in each of the report's tables (the web UI and the CLI give the rest).
ROUTES_SHOWN = 10
HUBS_SHOWN = 15
GAPS_SHOWN = 15
PARTIES_SHOWN = 100


@functools.cache
def _environment() -> Environment:
    env = Environment(
        loader=PackageLoader("transship.report", "templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(
        usd=usd,
        num=lambda v, d=2: "–" if v is None else f"{float(v):,.{d}f}",
        pct=lambda v, d=1: "–" if v is None else f"{float(v) * 100:.{d}f}%",
        territory=territory_label,
        product=product_label,
        short=lambda v, n=16: "" if v is None else str(v)[:n],
    )
    return env


def default_query(
    store: Store,
    origin: str | None = None,
    destination: str | None = None,
    product: str | None = None,
    break_date: str | None = None,
    dataset: str | None = None,
) -> dict[str, Any]:
    """The routes query of the report: what is given, the rest chosen from the data (the
    chapter-93 heading with the largest reported exports, then its largest exporter)."""
    if (product is None or origin is None) and has_table(store, "trade_flows"):
        where, params = ("AND dataset = ?", [dataset]) if dataset else ("", [])
        if product is None:
            for prefix in ("93", ""):
                got = store.fetchall(
                    "SELECT substr(hs_code, 1, 4) FROM trade_flows WHERE flow = 'X' "
                    f"AND hs_code LIKE ? {where} GROUP BY 1 ORDER BY sum(value_usd) DESC NULLS LAST LIMIT 1",
                    [prefix + "%", *params],
                )
                if got:
                    product = str(got[0][0])
                    break
        if origin is None and product is not None:
            got = store.fetchall(
                "SELECT coalesce(reporter_iso3, upper(reporter)) FROM trade_flows "
                f"WHERE flow = 'X' AND hs_code LIKE ? {where} AND NOT partner_is_world "
                "GROUP BY 1 ORDER BY sum(value_usd) DESC NULLS LAST LIMIT 1",
                [product + "%", *params],
            )
            origin = str(got[0][0]) if got else None
    return route_query(origin, destination, product, None, break_date, dataset, 3, ROUTES_SHOWN)


def report_data(
    store: Store,
    *,
    origin: str | None = None,
    destination: str | None = None,
    product: str | None = None,
    break_date: str | None = None,
    dataset: str | None = None,
    evaluation: Sequence[Any] | None = None,
) -> dict[str, Any]:
    """Everything the report shows, as JSON-ready dicts (the HTML is this, drawn)."""
    timings: dict[str, float] = {}
    t0 = time.monotonic()
    data: dict[str, Any] = {
        "generated": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "store": str(store.path),
        "version": __version__,
        "holdings": holdings(store),
    }
    data["parties"] = _parties(store)
    timings["holdings"] = time.monotonic() - t0
    query = default_query(store, origin, destination, product, break_date, dataset)
    data["query"] = query
    t = time.monotonic()
    found: list[Any] = []
    note = None
    if query["origin"]:
        try:
            found = compute_routes(store, query)
        except NotFound as exc:
            note = exc.message
    data["routes"] = routes_view(store, query, found, base="routes")
    data["routes"]["note"] = note
    timings["routes"] = time.monotonic() - t
    t = time.monotonic()
    break_year = int(str(query["break"])[:4]) if query.get("break") else None
    data["hubs"] = hubs_view(
        store, product=query["product"], dataset=dataset, break_year=break_year, limit=HUBS_SHOWN
    )
    timings["hubs"] = time.monotonic() - t
    t = time.monotonic()
    data["mirror"] = mirror_view(store, product=query["product"], dataset=dataset, limit=GAPS_SHOWN)
    timings["mirror"] = time.monotonic() - t
    t = time.monotonic()
    data["simulation"] = None
    if data["holdings"]["simulated"]:
        from transship.report.views.simulation import simulation_view

        data["simulation"] = simulation_view(store, evaluation, datasets=[dataset])
    timings["simulation"] = time.monotonic() - t
    t = time.monotonic()
    data["provenance"] = provenance(store, _cited(data))
    timings["provenance"] = time.monotonic() - t
    data["simulated"] = bool(
        data["holdings"]["simulated"] or data["routes"]["simulated"] or data["hubs"]["simulated"]
    )
    data["timings"] = timings
    return clean(data)  # type: ignore[no-any-return]


def _parties(store: Store) -> list[dict[str, Any]]:
    if not has_table(store, "parties"):
        return []
    found = rows(
        store,
        "SELECT name, schema, country, dataset, simulated, record_id FROM parties "
        "ORDER BY simulated, name LIMIT ?",
        [PARTIES_SHOWN],
    )
    for r in found:
        r["country_label"] = place(r["country"]).label if r.get("country") else "–"
    return found


def _cited(data: dict[str, Any]) -> dict[str, set[str]]:
    """Record ids behind each figure: route legs, hub indicators, mirror gaps."""
    out: dict[str, set[str]] = {"routes": set(), "hubs": set(), "mirror gaps": set()}
    for r in data["routes"]["routes"]:
        for leg in r.get("legs", []):
            out["routes"].update(leg.get("record_ids", []))
    for h in data["hubs"]["hubs"]:
        for ind in h.get("indicators", []):
            out["hubs"].update(ind.get("evidence", []))
    for g in data["mirror"]["gaps"]:
        out["mirror gaps"].update(g.get("evidence") or [])
    return out


def provenance(store: Store, cited: dict[str, set[str]]) -> list[dict[str, Any]]:
    """Every file behind the figures: name, path, sha256, dataset, licence, and the rows of
    it each figure used."""
    per_figure: dict[str, dict[str, int]] = {}
    for figure, ids in cited.items():
        if not ids:
            continue
        for r in rows(
            store,
            "SELECT source_sha256, count(DISTINCT record_id) AS n FROM trade_flows "
            "WHERE record_id IN (SELECT unnest(?::VARCHAR[])) GROUP BY 1",
            [sorted(ids)],
        ):
            per_figure.setdefault(str(r["source_sha256"]), {})[figure] = int(r["n"])
    if not per_figure:
        return []
    files = rows(
        store,
        "SELECT sha256, path, format, dataset, simulated, attribution, size_bytes FROM sources "
        "WHERE sha256 IN (SELECT unnest(?::VARCHAR[])) ORDER BY path",
        [sorted(per_figure)],
    )
    for f in files:
        info = source_info(f.get("dataset"), f.get("attribution"))
        f["name"] = str(f.get("path") or "").replace("\\", "/").rsplit("/", 1)[-1]
        f["source"] = info.name
        f["licence"] = (
            "written by `transship simulate`: not an observation of the real world"
            if f.get("simulated")
            else info.licence
        )
        f["rows_used"] = per_figure.get(str(f["sha256"]), {})
        f["rows_total"] = sum(f["rows_used"].values())
    return files


def render_report(data: dict[str, Any]) -> str:
    """The report's HTML from :func:`report_data`."""
    figures = _figures(data)
    return _environment().get_template("report.html").render(data=data, figures=figures)


def _figures(data: dict[str, Any]) -> dict[str, Markup]:
    """The SVG figures, drawn here (their text is escaped by :mod:`charts`)."""
    out: dict[str, Markup] = {}
    routes = data["routes"]
    simulated = bool(routes.get("simulated"))
    if routes["routes"]:
        q = data["query"]
        title = f"Routes from {territory_label(q['origin'])}"
        if q.get("destination"):
            title += f" to {territory_label(q['destination'])}"
        title += f", HS {q['product']}" if q.get("product") else ""
        diagram = dict(routes["sankey"], simulated=simulated)
        out["sankey"] = Markup(charts.sankey_svg(diagram, title))
        out["map"] = Markup(charts.map_svg(routes["map"], simulated))
    hubs = data["hubs"]
    if hubs["hubs"]:
        names = list(hubs["indicators"])
        items = []
        for h in hubs["hubs"]:
            ind = {i["name"]: i for i in h.get("indicators", [])}
            total_w = sum(float(i.get("weight") or 0.0) for i in ind.values()) or 1.0
            segs = [
                (n, float(ind[n]["value"] or 0.0) * float(ind[n]["weight"] or 0.0) / total_w)
                for n in names
                if n in ind and float(ind[n].get("weight") or 0.0) > 0
            ]
            items.append((f"{h['label']} {h['year']}", segs))
        out["hubs"] = Markup(
            charts.bars_svg(items, bool(hubs["simulated"]), lambda v: f"{v:.2f}", legend=names)
        )
    gaps = data["mirror"]["gaps"]
    scored = [g for g in gaps if g.get("z") is not None]
    if scored:
        items = [
            (
                f"{g.get('exporter_iso3') or g['exporter']} → {g.get('importer_iso3') or g['importer']} "
                f"{g['product']} {g['year']}",
                [("z", float(g["z"]))],
            )
            for g in scored
        ]
        out["mirror"] = Markup(
            charts.bars_svg(
                items, bool(data["mirror"]["simulated"]), lambda v: f"{v:+.1f}", signed=True
            )
        )
    return out


def write_pdf(html_text: str, pdf: Path) -> Path:
    """The report as PDF through WeasyPrint (installed with the ``pdf`` extra)."""
    try:
        from weasyprint import HTML  # type: ignore[import-untyped]
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise InvalidInput(
            "--pdf needs WeasyPrint: install transship with the pdf extra "
            "(pip install 'transship[pdf]') and Debian's pango (apt-get install libpango-1.0-0)"
        ) from exc
    try:
        HTML(string=html_text, base_url=None).write_pdf(str(pdf))
    except OSError as exc:
        raise InvalidInput(f"cannot write {pdf}: {exc.strerror or exc}") from exc
    return pdf


def write_report(
    store: Store,
    out: Path,
    pdf: Path | None = None,
    *,
    origin: str | None = None,
    destination: str | None = None,
    product: str | None = None,
    break_date: str | None = None,
    dataset: str | None = None,
    evaluation: Sequence[Any] | None = None,
    gexf: Path | None = None,
    graphml: Path | None = None,
) -> Path:
    """Write the report of ``store`` to ``out`` (HTML, self-contained) and, with ``pdf``,
    a PDF of it; return ``out``. ``gexf`` / ``graphml``: also the routes of the report as
    a graph file for Gephi, i2 or Maltego.

    The routes section shows ``product`` (default: the chapter-93 heading with the largest
    reported exports) from ``origin`` (default: its largest exporter) to ``destination``
    (default: every destination), with the surge test around ``break_date`` when given.
    ``dataset`` limits every analysis to one dataset's rows. ``evaluation``: rows of
    ``transship evaluate`` (``EvalRow`` or dicts) to print beside the planted-against-found
    tables of a simulated store (the evaluation itself takes minutes, so it is not run here).
    """
    data = report_data(
        store,
        origin=origin,
        destination=destination,
        product=product,
        break_date=break_date,
        dataset=dataset,
        evaluation=evaluation,
    )
    text = render_report(data)
    out = Path(out)
    try:
        out.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise InvalidInput(f"cannot write {out}: {exc.strerror or exc}") from exc
    log.debug("report sections took %s", data["timings"])
    if pdf is not None:
        write_pdf(text, Path(pdf))
    if gexf is not None or graphml is not None:
        from transship.report.graph import routes_graph, write

        graph = routes_graph(store, data["routes"]["routes"], data["query"])
        for target, fmt in ((gexf, "gexf"), (graphml, "graphml")):
            if target is not None:
                write(graph, Path(target), fmt)
    return out


__all__ = [
    "default_query",
    "provenance",
    "render_report",
    "report_data",
    "write_pdf",
    "write_report",
]
