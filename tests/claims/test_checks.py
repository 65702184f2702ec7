"""The single-claim checks (attribution, arithmetic and currency, dates), claims against the
store's data, and the whole check on the Serbia case and on the seed report itself."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.claims.test_corroborate import batch
from transship.claims.check import check_case, check_claims, read_claims_file
from transship.claims.checks import amounts_in, direction_in, sourced
from transship.claims.model import (
    Attribution,
    DocumentText,
    ExtractedClaim,
    extract,
    read_document,
)
from transship.claims.sources import default_registry
from transship.ingest.pipeline import ingest_paths
from transship.store import Store

ROOT = Path(__file__).resolve().parents[2]
CASE = ROOT / "cases" / "serbia-2025"


def _rules(claim_id: str, report: object) -> set[str]:
    return {f.rule for f in report.findings if claim_id in f.claims}  # type: ignore[attr-defined]


# -- attribution -----------------------------------------------------------------------------


def test_attribution_rules() -> None:
    b = batch(
        "a",
        [
            {
                "id": "unit",
                "text": "Serbia's arms exports were EUR 1.34 billion in 2023.",
                "amount": 1.34e9,
                "period": ("2023", "2023"),
                "direction": None,
                "credit": [("SIPRI Arms Transfers Database", "2024-03")],
            },
            {
                "id": "scope",
                "text": "Prvi Partizan exported 800 million rounds of small arms ammunition.",
                "amount": 8e8,
                "kind": "count",
                "unit": "rounds",
                "wording": "800 million rounds",
                "period": ("2023", "2023"),
                "direction": None,
                "credit": [("SIPRI", None)],
            },
            {
                "id": "ghost",
                "text": "Kenya passed on EUR 5 million of shells.",
                "amount": 5e6,
                "credit": [("African Union Arms Trade Monitoring Report", "2024")],
            },
            {
                "id": "maker",
                "text": "Serbia bought Chinese FK-3 air defence systems for EUR 200 million.",
                "amount": 2e8,
                "period": ("2024", "2024"),
                "direction": None,
                "credit": [("Elbit Systems", "2024-11")],
            },
            {
                "id": "stat",
                "text": "Bulgaria exported EUR 90 million of ammunition to Ukraine.",
                "amount": 9e7,
                "period": ("2023", "2023"),
                "direction": ("bg", "ua"),
                "subject": ["bg"],
                "credit": [("Serbian Statistical Office", "2024")],
            },
            {
                "id": "wb",
                "text": "Defence exports make up 2.8% of Serbia's GDP.",
                "amount": 2.8,
                "kind": "percent",
                "unit": "percent",
                "wording": "2.8%",
                "direction": None,
                "period": ("2024", "2024"),
                "measure": "share",
                "credit": [("World Bank", "2024-10")],
            },
        ],
    )
    r = check_claims([b])
    assert "attribution.unit" in _rules("unit", r)
    unit = next(f for f in r.findings if f.rule == "attribution.unit")
    assert "EUR" in unit.explanation and "TIV" in unit.explanation
    assert "attribution.scope" in _rules("scope", r)
    assert "attribution.nonexistent" in _rules("ghost", r)
    maker = next(f for f in r.findings if f.rule == "attribution.maker")
    assert maker.claims == ["maker"] and "China Aerospace" in maker.explanation
    assert "attribution.direction" in _rules("stat", r)
    assert "attribution.topic" in _rules("wb", r)
    for cid in ("unit", "scope", "maker", "stat"):
        assert r.claim(cid).reliability == "F", cid  # what is left is the document (no publisher)


def test_several_credits_take_the_one_named_alone_elsewhere() -> None:
    b = batch(
        "t",
        [
            {
                "id": "text",
                "text": "Serbia's arms exports were EUR 1.34 billion in 2023.",
                "amount": 1.34e9,
                "period": ("2023", "2023"),
                "direction": None,
                "credit": [("SIPRI Arms Transfers Database", "2024-03")],
            },
            {
                "id": "cell",
                "text": "Total Serbian arms exports reached EUR 1.34 billion in 2023.",
                "amount": 1.34e9,
                "period": ("2023", "2023"),
                "direction": None,
                "credit": [
                    ("Financial Times", "2024-06-22"),
                    ("SIPRI Arms Transfers Database", "2024-03"),
                    ("SVR", "2025-05-29"),
                ],
            },
        ],
    )
    r = check_claims([b])
    assert r.claim("cell").origin == "sipri-atdb"
    assert "attribution.unit" in _rules("cell", r)
    # one document repeating its figure is one origin
    assert r.claim("cell").group == r.claim("text").group and r.claim("cell").origins == 1


# -- arithmetic, currency, dates -------------------------------------------------------------


def test_parts_percent_and_currency() -> None:
    b = batch(
        "m",
        [
            {
                "id": "parts",
                "text": "Ukraine imported USD 346 million of ammunition, with Bulgaria "
                "(USD 290 million) and Czechia (USD 120 million) among the suppliers.",
                "amount": 3.46e8,
                "currency": "USD",
            },
            {
                "id": "pct",
                "text": "Serbia exported USD 409.05 million; the UAE bought USD 110 m (37%).",
                "amount": 4.0905e8,
                "currency": "USD",
            },
            {
                "id": "fx",
                "text": "EUR 800 million (about USD 955 million) reached Ukraine in 2024.",
                "amount": 8e8,
                "period": ("2024", "2024"),
            },
            {
                "id": "ok",
                "text": "EUR 800 million (about USD 866 million) reached Ukraine in 2024.",
                "amount": 8e8,
                "period": ("2024", "2024"),
            },
        ],
    )
    r = check_claims([b])
    assert "arithmetic.parts" in _rules("parts", r)
    pct = next(f for f in r.findings if f.rule == "arithmetic.percent")
    assert pct.claims == ["pct"] and "26.9%" in pct.explanation
    fx = next(f for f in r.findings if f.rule == "currency.pair")
    assert fx.claims == ["fx"] and "1.0824" in fx.explanation  # the ECB's 2024 mean
    assert "currency.pair" not in _rules("ok", r)


def test_currency_and_parts_in_the_regions_languages() -> None:
    # the same checks on Serbian words: "800 miliona evra (oko 955 miliona dolara)"
    def doc(text: str) -> tuple[DocumentText, list[ExtractedClaim]]:
        d = DocumentText("doc:sr", "0" * 64, "sr", "2024-07-01", None, "sr-Latn", None, None, text)
        return d, extract(d)[:1]

    fx = check_claims(
        [doc("Srbija je 2024. izvezla municiju vrednu 800 miliona evra (oko 955 miliona dolara).")]
    )
    (f,) = [f for f in fx.findings if f.rule == "currency.pair"]
    assert "1.0824" in f.explanation and "955 miliona dolara" in f.explanation
    ok = check_claims(
        [doc("Srbija je 2024. izvezla municiju vrednu 800 miliona evra (oko 866 miliona dolara).")]
    )
    assert not [f for f in ok.findings if f.rule == "currency.pair"]
    parts = check_claims(
        [
            doc(
                "Srbija je 2023. izvezla municiju vrednu 800 miliona evra, od toga 500 miliona "
                "evra u Bugarsku i 400 miliona evra u Poljsku."
            )
        ]
    )
    assert [f.rule for f in parts.findings if f.rule.startswith("arithmetic")] == [
        "arithmetic.parts"
    ]


def test_amounts_and_directions_in_text() -> None:
    found = amounts_in("USD 110 m (27%), Cyprus 42.17 m and €1.2 billion")
    assert [(a.value, a.currency) for a in found] == [
        (110e6, "USD"),
        (42.17e6, "USD"),
        (1.2e9, "EUR"),
    ]
    assert direction_in("Serbia's exports to China reached") == ("SRB", "CHN")
    assert direction_in("Serbia's arms imports from Russia") == ("RUS", "SRB")


def test_temporal_rules() -> None:
    b = batch(
        "t",
        [
            {
                "id": "before",
                "text": "Serbia exported EUR 800 million of shells in 2023-2024.",
                "amount": 8e8,
                "period": ("2023", "2024"),
                "credit": [("Reuters", "2022-05-01")],
            },
            {
                "id": "todate",
                "text": "Serbia exported EUR 800 million of shells in 2023-2024.",
                "amount": 8e8,
                "period": ("2023", "2024"),
                "credit": [("Reuters", "2024-06-22")],
            },
            {
                "id": "later",
                "text": "Serbia will export EUR 1 billion in 2030.",
                "amount": 1e9,
                "period": ("2030", "2030"),
                "credit": [("Reuters", "2024-06-22")],
            },
        ],
        date="2025-01-10",
    )
    r = check_claims([b])
    sev = {f.claims[0]: f.severity for f in r.findings if f.rule == "temporal.source_before_period"}
    assert sev == {"before": "high", "todate": "low"}  # forecasts are not checked
    assert "temporal.after_document" not in _rules("later", r)
    b2 = batch(
        "u",
        [
            {
                "id": "after",
                "text": "Serbia exported EUR 5 million of shells.",
                "amount": 5e6,
                "period": ("2026", "2026"),
                "credit": [("Reuters", "2026-02-01")],
            }
        ],
        date="2025-01-10",
    )
    r2 = check_claims([b2])
    assert {"temporal.after_document", "temporal.source_after_document"} <= _rules("after", r2)


# -- claims against the store ----------------------------------------------------------------


@pytest.fixture
def trade_store(store: Store, fixtures: Path) -> Store:
    """The hand-made Comtrade+ rows (SIMULATED): SRB exports of HS 9306 in 2022."""
    ingest_paths(store, [fixtures / "comtrade_plus_9306.csv"])
    return store


def test_data_checks(trade_store: Store) -> None:
    b = batch(
        "s",
        [
            {
                "id": "ok",
                "text": "Serbia exported ammunition worth USD 10 million in 2022.",
                "amount": 1e7,
                "currency": "USD",
                "period": ("2022", "2022"),
                "direction": None,
                "credit": [("Reuters", "2023-03-01")],
            },
            {
                "id": "far",
                "text": "Serbia exported ammunition worth EUR 800 million in 2022.",
                "amount": 8e8,
                "period": ("2022", "2022"),
                "direction": None,
                "credit": [("Reuters", "2023-03-01")],
            },
            {
                "id": "gap",
                "text": "Serbia exported ammunition worth EUR 80 million in 2015.",
                "amount": 8e7,
                "period": ("2015", "2015"),
                "direction": None,
                "credit": [("Reuters", "2016-03-01")],
            },
            {
                "id": "via",
                "text": "EUR 800 million of Serbian ammunition reached Ukraine indirectly "
                "through third countries in 2022.",
                "amount": 8e8,
                "period": ("2022", "2022"),
                "credit": [("Financial Times", "2023-06-22")],
            },
        ],
    )
    b2 = batch(
        "s2",
        [
            {
                "id": "imp",
                "text": "Czechia imported USD 4.4 million of Serbian ammunition in 2022.",
                "amount": 4.4e6,
                "currency": "USD",
                "period": ("2022", "2022"),
                "direction": ("rs", "cz"),
                "measure": "imports",
                "credit": [("Reuters", "2023-03-01")],
            },
            {
                "id": "may",
                "text": "Serbia sold USD 310,000 of rifle cartridges to Bulgaria in May 2022.",
                "amount": 3.1e5,
                "currency": "USD",
                "period": ("2022-05", "2022-05"),
                "direction": ("rs", "bg"),
                "credit": [("Reuters", "2022-07-01")],
            },
            {
                "id": "jun",
                "text": "Serbia sold USD 310,000 of rifle cartridges to Bulgaria in June 2022.",
                "amount": 3.1e5,
                "currency": "USD",
                "period": ("2022-06", "2022-06"),
                "direction": ("rs", "bg"),
                "credit": [("Reuters", "2022-07-01")],
            },
        ],
    )
    r = check_claims([b, b2], store=trade_store)
    verdicts = {d.claim: d for d in r.data_checks}
    # an import claim reads the importer's rows; a month reads that month's rows
    assert verdicts["imp"].verdict == "consistent" and verdicts["imp"].query["flow"] == "M"
    assert verdicts["imp"].data_usd == pytest.approx(4390222)
    assert verdicts["may"].verdict == "consistent" and verdicts["may"].query["years"] == "2022-05"
    assert verdicts["jun"].verdict == "outside_coverage"
    assert verdicts["ok"].verdict == "consistent"
    assert verdicts["ok"].data_usd == pytest.approx(9876543.21)
    assert verdicts["ok"].simulated and verdicts["ok"].record_ids
    assert "SIMULATED" in verdicts["ok"].explanation
    assert verdicts["far"].verdict == "contradicted" and r.claim("far").credibility == 5
    assert verdicts["gap"].verdict == "outside_coverage"
    assert "not the same as contradicted" in verdicts["gap"].explanation
    assert verdicts["via"].verdict == "outside_coverage"
    assert "third countries" in verdicts["via"].explanation
    assert r.simulated


# -- the Serbia case and the seed report -----------------------------------------------------


def test_serbia_case_claims() -> None:
    r = check_case(CASE)
    assert len(r.claims) == 22
    assert "attribution.unit" in _rules("SR05", r)
    assert "attribution.scope" in _rules("SR07", r)
    assert "attribution.nonexistent" in _rules("SR12", r)
    assert "attribution.topic" in _rules("SR14", r)
    assert "contradiction.period" in _rules("SR03", r)
    assert "attribution.party" in _rules("SR01", r)
    assert "attribution.topic" in _rules("SR13", r)  # a sanctions authority for a trade route
    assert "attribution.unverified" in _rules("SR09", r)  # 'Czech Defence Systems'
    # every doubt written by hand in case.yaml is found by some rule
    assert r.case_doubts and all(d["found_by"] for d in r.case_doubts)
    # SR03, SR04 and SR18 are the FT's figure: one origin between them
    assert r.claim("SR03").group == r.claim("SR18").group == r.claim("SR04").group
    assert r.claim("SR03").origins == 1
    # every claim is its line in claims.jsonl
    text = (CASE / "claims.jsonl").read_text(encoding="utf-8")
    for c in r.claims:
        a, b = c.span
        assert text[a:b] == c.excerpt and f'"id": "{c.id}"' in c.excerpt


@pytest.fixture(scope="module")
def seed(shared_dir: Path) -> tuple[DocumentText, list[ExtractedClaim]]:
    """The seed report read and extracted once (extraction is the slow part)."""
    doc = read_document(shared_dir / "seed" / "serbia-ammunition-exports-report.txt")
    return doc, extract(doc)


def test_seed_report(seed: tuple[DocumentText, list[ExtractedClaim]]) -> None:
    r = check_claims([seed])
    text = seed[0].text
    by_rule: dict[str, list[str]] = {}
    for f in r.findings:
        for cid in f.claims:
            by_rule.setdefault(f.rule, []).append(text[slice(*r.claim(cid).span)])
    # EUR 1.34 bn credited to SIPRI; 800 million rounds credited to SIPRI
    assert any("1.34 billion" in s and "SIPRI" in s for s in by_rule["attribution.unit"])
    assert any("800 million rounds" in s for s in by_rule["attribution.scope"])
    # a report that does not exist; a product credited to a firm that does not make it
    ghosts = [f.explanation for f in r.findings if f.rule == "attribution.nonexistent"]
    assert any("African Union Arms Trade Monitoring Report" in g for g in ghosts)
    # named where no claim with a figure credits it: found by its mention, with its span
    panel = next(g for g in ghosts if "UN Panel of Experts" in g)
    assert "UN Panel of Experts report on Ukraine' at characters" in panel
    assert any("FK-3" in s and "Elbit" in s for s in by_rule["attribution.maker"])
    # Serbia's exports to China in the text, China's exports to Serbia in the table
    swapped = by_rule["contradiction.direction"]
    assert any("Serbia’s exports to China" in t for t in swapped)
    assert any("China’s exports to Serbia" in t for t in swapped)
    # no claim without its span
    for c in r.claims:
        assert c.excerpt and text[c.span[0] : c.span[1]] == c.excerpt


def test_seed_report_with_the_case(seed: tuple[DocumentText, list[ExtractedClaim]]) -> None:
    doc, claims, relays = read_claims_file(CASE / "claims.jsonl")
    r = check_claims([(doc, claims), seed], relays=relays)
    pairs = [sorted(f.claims) for f in r.findings if f.rule == "contradiction.period"]
    # the table's 2023-2024 against SR18's 2022-2024 for the same FT figure
    assert any("SR18" in p and any(c.startswith("clm:") for c in p) for p in pairs)


def test_a_relay_named_by_the_text_is_not_a_co_credit() -> None:
    # the seed report: "... according to the Archive of Public Gatherings, cited by RFE/RL":
    # the archive is the origin (it counts crowds), RFE/RL passed it on
    b = batch(
        "p",
        [
            {
                "id": "p",
                "text": "Protests drew 300,000 participants in Belgrade in March 2025.",
                "amount": 3e5,
                "kind": "count",
                "unit": "participants",
                "measure": "participants",
                "direction": None,
                "period": ("2025-03", "2025-03"),
                "credit": [],
            }
        ],
    )
    b[1][0].attributed_to = [
        Attribution("Archive of Public Gatherings", None, role="origin"),
        Attribution("Radio Free Europe", None, role="relay"),
    ]
    report = check_claims([b])
    c = report.claim("p")
    assert c.origin_name == "Archive of Public Gatherings"
    rules = {f.rule for f in report.findings if "p" in f.claims}
    assert "attribution.several" not in rules and "attribution.topic" not in rules
    sc = sourced(b[1][0], b[0], default_registry())
    assert [lk.role for lk in sc.chain] == ["origin", "relay", "document"]
