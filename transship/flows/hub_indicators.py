"""The hub indicators: two kinds of hub, two questions, one set of SQL expressions.

"Hub" means two different things, and one score cannot answer both (docs/validation.md,
"Flows on real data"):

* a **conduit** *opened* as a route after a break: imports from the origin and exports to
  the destination jump together when a sanction or a war closes a direct route (Chupilkin,
  Javorcik & Plekhanov 2023, "The Eurasian roundabout"); the seed case's Czechia, Bulgaria
  and Kenya. Indicators: :data:`CONDUIT`.
* an **entrepot** *is* structurally a place whose exports are mostly someone else's goods
  (Hong Kong, Singapore, the Netherlands; Feenstra & Hanson 2004, "Intermediaries in
  entrepot trade"): it imports at least what it exports, has never shown output of its
  own, and its exports are recorded differently by its partners, who attribute goods to
  their origin. Indicators: :data:`ENTREPOT`.

Each indicator is a function of the break year returning ``(value SQL, available SQL)``
over the per-(territory, product, year) relation built in
:func:`transship.flows.hubs._hub_sql`, whose columns are: ``in_v``, ``out_v`` (inflow and
outflow, 0 when absent), ``x_out`` (the territory's own reported exports), ``hhi``,
``rx_v``, ``rx_reporter``, ``yi`` (years of the scope up to this one), ``own`` (output
proxy), ``co`` (zero-filled correlation), ``n_prior`` / ``p_in`` / ``p_out`` (years and
sums before the break or this year), ``mx_v`` / ``mm_v`` (the territory's reported exports
to partners that report imports of the product that year, and what those partners
report importing from it, brought to FOB), ``n_out`` / ``n_cover`` (years so far with
exports, and those in which imports covered exports). Values are in [0, 1], 1 = most
hub-like; every indicator is a ratio of the territory's own flows, never a USD value, so
a small entrepot and a large producer are scored on one scale. The docstrings are the
documentation docs/methods.md repeats.
"""

from __future__ import annotations

from collections.abc import Callable

from transship.flows.chains import CIF_FACTOR

IndicatorSql = Callable[[int | None], tuple[str, str]]


# -- conduit ---------------------------------------------------------------------------------
def excess_exports(break_year: int | None) -> tuple[str, str]:
    """Exports beyond plausible own supply, covered by imports: T / outflow, where the
    through-flow ``T = min(inflow, max(0, outflow - own))`` and ``own`` is the territory's
    demonstrated output of the product: its lowest net exports (outflow - inflow) over the
    years of the data so far, 0 if it exported nothing in one of them.

    A unit exported is either made at home or imported; what exceeds what the territory
    has shown it can make must have come in from abroad, and only as far as imports cover
    it. Measured as a share of the territory's own exports, so a large producer and a small
    entrepot are compared on the same scale: an entrepot (no output, imports at least its
    exports) scores 1, a producer that imports nothing 0 however fast it grows (growth is
    not supply from abroad), a producer that also imports the share of its exports beyond
    its usual output that imports could cover. With one year the proxy is that year's net
    exports, and the value is the share of exports imports could cover."""
    return "least(in_v, greatest(0.0, out_v - own)) / out_v", "out_v > 0"


def pass_through(break_year: int | None) -> tuple[str, str]:
    """Pass-through: min(inflow, outflow) / max(inflow, outflow) in the same year.

    A territory that imports about as much of a product as it exports, in the same year,
    behaves like a conduit; a producer (exports, few imports) or a consumer (imports, few
    exports) does not. A ratio of the territory's own flows, so size-neutral. 0 when the
    territory has no recorded inflow."""
    value = "CASE WHEN in_v > 0 THEN least(in_v, out_v) / greatest(in_v, out_v) ELSE 0.0 END"
    return value, "out_v > 0"


def co_movement(break_year: int | None) -> tuple[str, str]:
    """Co-movement of inflows and outflows: max(0, Pearson correlation) of the yearly
    inflow and outflow series of this territory and product, over every year of the data
    from the first to this one, a year without a flow counting as 0.

    Goods passed on make the two series rise and fall together; a producer's exports move
    with its own output, not with its imports. Counting missing years as zeros keeps the
    strongest form of the signal - both flows appearing from nothing in the same year, as
    a new route does - which a correlation over the years with both flows would drop.
    Needs three years and both series varying; counts as 0 otherwise."""
    return "greatest(0.0, least(1.0, co))", "yi >= 3 AND co IS NOT NULL"


def concentration(break_year: int | None) -> tuple[str, str]:
    """Partner concentration of outflows: the Herfindahl-Hirschman index sum(s_j^2) of the
    shares s_j of each destination in the territory's outflow (1 = a single destination).

    Diversion routes feed one or two destinations; ordinary exporters spread across many.
    (Small exporters are concentrated too, which is why this indicator weighs least.)"""
    return "hhi", "out_v > 0"


def surge(break_year: int | None) -> tuple[str, str]:
    """Surge after a break, on both sides: the smaller of the rises of outflow and of
    inflow, each ``max(0, 1 - before / now)``, where ``before`` is the mean yearly flow
    before the break year (``break_year``) or, without a break, over the earlier years of
    the data, a year without a flow counting as 0. 0.5 = doubled, 0.9 = ten-fold.

    A diversion route opens suddenly, and through a hub it opens on both sides at once:
    imports from the origin and exports to the destination jump together (the "Eurasian
    roundabout" signature). A producer whose exports jump while its imports do not, or a
    consumer whose imports jump, is not a hub. Without earlier years (or, with a break, for
    years before it) it is not computed and counts as 0."""
    rise = "greatest(0.0, 1.0 - (p_{s} / n_prior) / {s}_v)"
    value = (
        f"CASE WHEN in_v > 0 THEN least({rise.format(s='out')}, {rise.format(s='in')}) ELSE 0.0 END"
    )
    avail = "n_prior >= 1 AND out_v > 0"
    if break_year is not None:
        avail += f" AND year >= {int(break_year)}"
    return value, avail


# -- both ------------------------------------------------------------------------------------
def reexport_share(break_year: int | None) -> tuple[str, str]:
    """Reported re-exports: the territory's own RX value for this product and year over its
    own reported exports (capped at 1).

    The one indicator where the hub says it itself. Available only where the territory
    reports re-exports at all that year (Comtrade flow RX); a territory that reports RX for
    other products but none for this one scores 0."""
    value = (
        "CASE WHEN coalesce(x_out, 0.0) > 0 "
        "THEN least(1.0, coalesce(rx_v, 0.0) / x_out) ELSE 0.0 END"
    )
    return value, "rx_reporter"


# -- entrepot --------------------------------------------------------------------------------
#: Decades of imports / exports either side of balance that :func:`import_cover` spreads
#: over [0, 1].
IMPORT_COVER_DECADES = 4
#: USD of compared exports at which a mirror indicator carries half its weight
#: (:data:`EVIDENCE_WEIGHT`).
MIRROR_EVIDENCE_USD = 100_000.0


def import_cover(break_year: int | None) -> tuple[str, str]:
    """Imports against exports on a log scale: ``0.5 + log10(inflow / outflow) / 8``, held
    to [0, 1]. 0.5 = it imports what it exports; 0.625 ten times as much, 0.75 a hundred
    times, 1 ten thousand times or more; a territory that imports nothing scores 0.

    A territory that makes nothing of a product can only export what it imported, so its
    imports are at least its exports; the more it imports per unit exported, the less room
    there is for output of its own in what it ships. A producer exporting its output scores
    low. It ranks like imports / exports; the log scale is the one trade ratios vary on
    (they span five decades in the Comtrade sample), and it keeps the ratio's order visible
    among importers in the weighted mean (as a share, in / (in + out), ratios of 25 and 95
    came out 0.96 and 0.99; chosen on the 2013-2014 product-years, docs/validation.md,
    "Flows on real data"). Consumers that import a lot and export a little also score high
    here, which is why the entrepot score does not rest on it alone."""
    value = (
        "CASE WHEN in_v > 0 THEN least(1.0, greatest(0.0, "
        f"0.5 + log10(in_v / out_v) / {2 * IMPORT_COVER_DECADES:.1f})) ELSE 0.0 END"
    )
    return value, "out_v > 0"


def foreign_origin(break_year: int | None) -> tuple[str, str]:
    """Exports its partners attribute to someone else: ``max(0, 1 - M / X)``, where X is
    what the territory reports exporting to the partners that report imports of the
    product that year, and M what those partners report importing from it, brought to FOB
    (CIF / 1.05). A partner that reports imports that year but none from the territory
    counts with M = 0.

    Importers record goods by country of origin (IMTS 2010): what an entrepot re-exports
    appears in its partners' statistics as imports from the producer, not from the
    entrepot, so its partners record less than it says it shipped - Hong Kong's partners
    record about a quarter of its wood exports in the sample. Needs the territory's own
    export reports and a partner that reports imports; without them it is not computed
    and leaves the score (silence is not evidence)."""
    return "CASE WHEN mx_v > mm_v THEN 1.0 - mm_v / mx_v ELSE 0.0 END", "mx_v > 0"


def mirror_gap(break_year: int | None) -> tuple[str, str]:
    """The territory's exports and its partners' records of them disagree, in either
    direction: ``1 - min(X, M) / max(X, M)`` with X and M as in :func:`foreign_origin`.

    Goods passing through are where the two sides of trade statistics part: the partner
    records the origin (partners record less, as in :func:`foreign_origin`), and trade
    through free zones or in transit is often missing from the entrepot's own statistics
    while its partners record it as consigned from there (partners record more; the United
    Arab Emirates' partners record 1.6 times its reported wood exports in the sample). A
    producer's exports are recorded alike on both sides, up to reporting noise. Not
    computed (and left out of the score) where :func:`foreign_origin` is not."""
    return "1.0 - least(mx_v, mm_v) / greatest(mx_v, mm_v)", "mx_v > 0"


def no_output(break_year: int | None) -> tuple[str, str]:
    """Years without output of its own: the share of the years so far in which the
    territory exported the product that its imports covered its exports (inflow >=
    outflow).

    A producer exports more than it imports in some years (its output leaves); a territory
    that has imported at least what it exported in every year of the data has never shown
    output of its own, and its exports are likely someone else's goods. Read over the
    years up to this one, never a later one."""
    return "CAST(n_cover AS DOUBLE) / n_out", "n_out > 0"


#: name -> (function, weight) of the **conduit** score. The weights say how specifically
#: each indicator points at a route that opened: the joint surge after a break most (a
#: producer or a consumer does not show it), imports-backed exports and self-reported
#: re-exports next, pass-through and co-movement after, concentration least (small
#: exporters are concentrated anyway). Set on reasoning before the simulated case was
#: scored (docs/validation.md, "Hubs on the simulated case").
CONDUIT: dict[str, tuple[IndicatorSql, float]] = {
    "excess_exports": (excess_exports, 0.20),
    "pass_through": (pass_through, 0.15),
    "reexport_share": (reexport_share, 0.20),
    "co_movement": (co_movement, 0.15),
    "surge": (surge, 0.25),
    "concentration": (concentration, 0.05),
}

#: name -> (function, weight) of the **entrepot** score. Import cover carries it (the
#: territory's own flows say whether it could have made what it ships); the partners'
#: records of its exports (foreign origin, and the gap either way) and its own re-export
#: report are the independent evidence that the goods are someone else's; the years
#: without output break ties between importers. Weights chosen among ten candidate
#: weightings on the 2013-2014 product-years of the real Comtrade sample and validated on
#: 2015-2017 (docs/validation.md, "Flows on real data").
ENTREPOT: dict[str, tuple[IndicatorSql, float]] = {
    "import_cover": (import_cover, 0.40),
    "foreign_origin": (foreign_origin, 0.20),
    "reexport_share": (reexport_share, 0.20),
    "mirror_gap": (mirror_gap, 0.10),
    "no_output": (no_output, 0.10),
}

#: The kinds of hub and their indicators; the first is the default.
KINDS: dict[str, dict[str, tuple[IndicatorSql, float]]] = {
    "conduit": CONDUIT,
    "entrepot": ENTREPOT,
}

#: Every indicator of any kind, once (an indicator shared by kinds has one weight).
ALL: dict[str, tuple[IndicatorSql, float]] = {}
for _kind in KINDS.values():
    for _name, _entry in _kind.items():
        if _name in ALL and ALL[_name][1] != _entry[1]:  # pragma: no cover - a definition error
            raise ValueError(f"indicator {_name} has two weights")
        ALL[_name] = _entry

#: Indicators whose absence says nothing: they leave the score (weight 0) when they cannot
#: be computed. Every other indicator counts as 0 then (no evidence for a hub), so that a
#: score resting on fewer indicators - the first years of the data - cannot look as strong
#: as one resting on all of them. Re-exports: reporting them (Comtrade flow RX) is up to
#: each country, and most never do. The partners' records: a territory that does not
#: report its exports by partner, or whose partners report no imports, has nothing to
#: compare, which says nothing about its goods.
SILENCE_IS_NOT_EVIDENCE = frozenset({"reexport_share", "foreign_origin", "mirror_gap"})

#: Indicators whose weight grows with the evidence behind them (name -> SQL factor in
#: [0, 1) applied to the weight). The partners' records of a territory's exports compared
#: over USD 50 thousand say little (one consignment booked in another year or chapter
#: moves them end to end); over USD 50 million a lot. So each mirror indicator carries its
#: weight times X / (X + USD 100 thousand), X the exports compared: half its weight at
#: USD 100 thousand, 0.99 of it at USD 10 million; the other indicators decide small flows.
#: Chosen with :func:`import_cover`'s log scale on the 2013-2014 product-years
#: (docs/validation.md, "Flows on real data").
EVIDENCE_WEIGHT: dict[str, str] = {
    name: f"mx_v / (mx_v + {MIRROR_EVIDENCE_USD})" for name in ("foreign_origin", "mirror_gap")
}

#: Which evidence each indicator cites: rows of this year, or of every year of the series.
EVIDENCE: dict[str, tuple[str, ...]] = {
    "excess_exports": ("in", "out", "upto_in", "upto_out"),
    "pass_through": ("in", "out"),
    "reexport_share": ("rx", "out"),
    "co_movement": ("upto_in", "upto_out"),
    "surge": ("in", "out", "prior_in", "prior_out"),
    "concentration": ("out",),
    "import_cover": ("in", "out"),
    "foreign_origin": ("out",),
    "mirror_gap": ("out",),
    "no_output": ("upto_in", "upto_out"),
}

#: The partners' imports are brought to the exporter's FOB basis with this factor.
MIRROR_CIF_FACTOR = CIF_FACTOR
