"""The criterion-7 assessment scored on diversion: which licence requests led to diverted
shipments (issue 14, point 4).

The unit is a licence request: every issued licence of the simulation (the case's legitimate
contracts, its diversion schemes, and the population of requests whose diversion depends on
latent facts, :mod:`transship.simulate.requests`). Refused licences are the brokers' history,
not requests: they are not ranked. A request is positive when truth says shipments under it
were diverted (``licence`` rows of ``truth.jsonl``, read only after the assessment ran).

The detector is :func:`transship.risk.assess.assess_all` run on the store the simulation was
ingested into, with ``before_shipment=True`` (each request assessed without the shipments that
cite it: those shipments are what the question is about); it reads the store and the shipped
reference tables, never the truth or the simulator's parameters. The simulated store holds no
claims, so the ``prior_claims`` indicator finds nothing there. Its ranking is the assessment score; it flags a request when the level
is ``high`` or ``refuse-indicated``.

Baselines, run on the same requests in the same evaluation:

* ``documents`` -- the certificate checks alone (:mod:`transship.risk.certificates`): a
  request ranks by the number of distinct checks its certificate fails;
* ``governance`` -- the destination country's published governance alone (the table the risk
  stage ships, worst first; a country it lacks ranks in the middle);
* ``value`` -- the licensed value, largest first (where an officer with no tools would look);
* ``random`` -- the expected figures of a random order.

Two rows: ``assessment:licences`` (every request) and ``assessment:requests`` (the request
population only: no scheme, no planted document flaw, diversion driven by latent facts alone;
the row that says whether the assessment infers diversion rather than finding typos).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import Any

from transship.evaluate.certificates import sha_list
from transship.evaluate.scoring import (
    EvalRow,
    _r,
    average_precision,
    baseline,
    order,
    random_baseline,
    score,
    top_k,
)
from transship.store import Store

log = logging.getLogger(__name__)

#: Levels at which the assessment flags a request.
FLAG_LEVELS = frozenset({"high", "refuse-indicated"})
DATA = (
    "SIMULATED licences, certificates, customs records and Comtrade-style statistics as "
    "ingested; transship.risk.assess.assess_all(before_shipment=True) on that store (each "
    "request without its own shipments); truth.jsonl only labels the result"
)


def licence_truth(truth: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Licence id -> its truth row (issued licences only)."""
    return {str(t["id"]): t for t in truth if t.get("kind") == "licence"}


def assessment_rows(
    store: Store,
    lic_shas: list[str],
    cert_shas: list[str],
    ship_shas: list[str],
    truth: list[dict[str, Any]],
    holdings: Callable[[str, str, str | None], list[str]],
    noise: str,
    assess: Callable[[Store], list[Any]] | None = None,
) -> list[EvalRow]:
    """The two assessment rows (module docstring); empty when the folder has no licence truth
    (written before issue 14)."""
    t_lic = licence_truth(truth)
    if not t_lic or not lic_shas:
        return []
    if assess is None:
        from transship.risk.assess import assess_all

        def assess(s: Store) -> list[Any]:
            # as the officer decides: before anything ships, so a request's own shipments
            # (which the question is about) are never read
            return assess_all(s, before_shipment=True)

    licences = store.query(
        "SELECT licence_id, certificate_id, destination, end_user_country, consignee_country, "
        "value_eur, status FROM licences "
        f"WHERE source_sha256 IN {sha_list(lic_shas)} ORDER BY licence_id"
    ).to_pylist()
    requests = {str(r["licence_id"]): r for r in licences if str(r["licence_id"]) in t_lic}
    assessments = assess(store)
    scores: dict[str, float] = {}
    levels: dict[str, str] = {}
    for a in assessments:
        sid = str(a.subject)
        if sid in requests:
            scores[sid] = float(a.score)
            levels[sid] = str(a.level)
    docs = _document_ranking(store, cert_shas, ship_shas, holdings, requests)
    gov = _governance_ranking(requests)
    value = {k: float(r.get("value_eur") or 0.0) for k, r in requests.items()}
    rows = []
    for stage, keep in (
        ("assessment:licences", lambda _t: True),
        ("assessment:requests", lambda t: t.get("source") == "request"),
    ):
        ids = {k for k in requests if keep(t_lic[k])}
        if not ids:
            continue
        actual = {k for k in ids if t_lic[k].get("diverted")}
        rows.append(
            _row(
                stage,
                noise,
                {k: v for k, v in scores.items() if k in ids},
                {k for k in ids if levels.get(k) in FLAG_LEVELS},
                actual,
                len(ids),
                [
                    ("documents", "certificate checks alone: distinct checks failed", docs),
                    (
                        "governance",
                        "destination country's published governance alone, worst first",
                        gov,
                    ),
                    ("value", "licensed value (EUR), largest first", value),
                ],
                ids,
                len(assessments),
            )
        )
    return rows


def _row(
    stage: str,
    noise: str,
    ranking: Mapping[str, float],
    flagged: set[str],
    actual: set[str],
    candidates: int,
    baselines: list[tuple[str, str, Mapping[str, float]]],
    ids: set[str],
    assessed: int,
) -> EvalRow:
    unscored = len(ids - set(ranking))
    row = score(
        stage,
        noise,
        flagged,
        actual,
        f"flagged: level high or refuse-indicated; {len(actual)} of {candidates} requests "
        "diverted"
        + (f"; {unscored} requests the assessment returned no score for" if unscored else "")
        + f" ({assessed} assessments returned in all)",
    )
    hits = order(ranking, actual)
    row.average_precision = _r(average_precision(hits, len(actual)))
    row.r_precision = _r(top_k(hits, len(actual), len(actual))[0])
    row.candidates = candidates
    row.data = DATA
    k = len(flagged)
    for name, how, rank in baselines:
        row.baselines.append(baseline(name, how, {i: rank.get(i, 0.0) for i in ids}, actual, k))
    row.baselines.append(random_baseline(candidates, len(actual), len(actual), k))
    return row


def _document_ranking(
    store: Store,
    cert_shas: list[str],
    ship_shas: list[str],
    holdings: Callable[[str, str, str | None], list[str]],
    requests: Mapping[str, Mapping[str, Any]],
) -> dict[str, float]:
    """Distinct certificate checks failed by each request's certificate."""
    from transship.risk.certificates import failed, run_checks

    certs = store.query(
        f"SELECT * FROM certificates WHERE source_sha256 IN {sha_list(cert_shas)} "
        "ORDER BY certificate_id"
    ).to_pylist()
    ships = store.query(
        "SELECT record_id, shipment_id, date, certificate_id, quantity, unit, sender_country, "
        "departure_country, destination_country, value_usd FROM shipments "
        f"WHERE source_sha256 IN {sha_list(ship_shas)} ORDER BY shipment_id"
    ).to_pylist()
    failures = failed(run_checks(certs, ships, holdings))
    return {
        k: float(len({f.check for f in failures.get(str(r.get("certificate_id")), [])}))
        for k, r in requests.items()
    }


def _governance_ranking(requests: Mapping[str, Mapping[str, Any]]) -> dict[str, float]:
    """Minus the published governance z-score of each request's destination (0 when the
    table lacks the country, or no table is shipped)."""
    from transship.simulate.requests import published_governance

    gov = {k.lower(): v for k, v in published_governance().items()}
    out = {}
    for k, r in requests.items():
        country = str(r.get("end_user_country") or r.get("destination") or "").lower()
        out[k] = -gov.get(country, 0.0)
    return out
