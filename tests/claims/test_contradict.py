"""Contradictions: values, directions, periods and attributions, across documents and within
one; figures of one sentence never contradict each other."""

from __future__ import annotations

from pathlib import Path

from tests.claims.test_corroborate import batch
from transship.claims.check import check_claims, read_claims_file
from transship.claims.checks import sourced
from transship.claims.contradict import contradictions
from transship.claims.sources import default_registry

CASE = Path(__file__).resolve().parents[2] / "cases" / "serbia-2025"


def _rules(report: object) -> dict[str, list[list[str]]]:
    out: dict[str, list[list[str]]] = {}
    for f in report.findings:  # type: ignore[attr-defined]
        out.setdefault(f.rule, []).append(sorted(f.claims))
    return out


def test_direction_who_exports_to_whom() -> None:
    b = batch(
        "d",
        [
            {
                "id": "x",
                "text": "Serbia's exports to China reached EUR 1.1 billion in 2024.",
                "amount": 1.1e9,
                "period": ("2024", "2024"),
                "direction": None,
                "subject": ["rs", "cn"],
                "credit": [("Serbian Statistical Office", "2025")],
            },
            {
                "id": "y",
                "text": "China's exports to Serbia reached EUR 1.1 billion in 2024.",
                "amount": 1.1e9,
                "period": ("2024", "2024"),
                "direction": None,
                "subject": ["cn", "rs"],
                "credit": [("Serbian Statistical Office", "2025")],
            },
        ],
    )
    report = check_claims([b])
    found = [f for f in report.findings if f.rule == "contradiction.direction"]
    assert len(found) == 1 and sorted(found[0].claims) == ["x", "y"]
    assert "SRB -> CHN" in found[0].explanation and "CHN -> SRB" in found[0].explanation
    assert found[0].severity == "high"


def test_direction_with_an_open_period() -> None:
    # "since 2022" (open) against "2022-2024": the same figure with the direction swapped
    items = [
        ("x", "Serbia's exports to Ukraine reached EUR 800 million since 2022.", ("2022", None)),
        (
            "y",
            "Ukraine's exports to Serbia reached EUR 800 million in 2022-2024.",
            ("2022", "2024"),
        ),
        (
            "z",
            "Ukraine's exports to Serbia reached EUR 800 million in 2019-2020.",
            ("2019", "2020"),
        ),
    ]
    b = batch(
        "o",
        [
            {
                "id": i,
                "text": t,
                "amount": 8e8,
                "period": p,
                "direction": None,
                "subject": ["rs", "ua"] if i == "x" else ["ua", "rs"],
                "credit": [("Financial Times", "2024-06-22")],
            }
            for i, t, p in items
        ],
    )
    found = [
        sorted(f.claims) for f in check_claims([b]).findings if f.rule == "contradiction.direction"
    ]
    assert found == [["x", "y"]]


def test_value_same_measure_subject_period() -> None:
    a = batch(
        "a",
        [
            {
                "id": "a",
                "text": "Serbia's arms exports were EUR 1.34 billion in 2023.",
                "amount": 1.34e9,
                "period": ("2023", "2023"),
                "direction": None,
                "credit": [("Reuters", "2024-03-01")],
            }
        ],
    )
    b = batch(
        "b",
        [
            {
                "id": "b",
                "text": "Serbia's arms exports were EUR 520 million in 2023.",
                "amount": 5.2e8,
                "period": ("2023", "2023"),
                "direction": None,
                "credit": [("Euractiv", "2024-05-01")],
            }
        ],
    )
    report = check_claims([a, b])
    found = [f for f in report.findings if f.rule == "contradiction.value"]
    assert [sorted(f.claims) for f in found] == [["a", "b"]]
    assert "2.6-fold" in found[0].explanation
    # both B sources: each is contradicted by an equally reliable one and nothing confirms
    assert report.claim("a").credibility == 5 and report.claim("b").credibility == 5


def test_two_figures_of_one_sentence_never_contradict() -> None:
    text = "Montenegro's defence budget is EUR 120 million and North Macedonia's EUR 210 million."
    b = batch(
        "m",
        [
            {
                "id": "m1",
                "text": text,
                "amount": 1.2e8,
                "period": ("2024", "2024"),
                "direction": None,
                "measure": "budget",
                "credit": [("NATO", "2024")],
            },
            {
                "id": "m2",
                "text": text,
                "amount": 2.1e8,
                "period": ("2024", "2024"),
                "direction": None,
                "measure": "budget",
                "credit": [("NATO", "2024")],
            },
        ],
    )
    doc, claims = b
    claims[1].span = claims[0].span
    assert "contradiction.value" not in _rules(check_claims([(doc, claims)]))


def test_period_of_one_figure_from_one_origin() -> None:
    a = batch(
        "a",
        [
            {
                "id": "a",
                "text": "EUR 800 million of ammunition reached Ukraine in 2023-2024.",
                "amount": 8e8,
                "period": ("2023", "2024"),
                "credit": [("Financial Times", "2024-06-22")],
            }
        ],
    )
    b = batch(
        "b",
        [
            {
                "id": "b",
                "text": "EUR 800 million of ammunition reached Ukraine since 2022.",
                "amount": 8e8,
                "period": ("2022", "2024"),
                "credit": [("Financial Times", "2024-06-22")],
            }
        ],
    )
    report = check_claims([a, b])
    found = [f for f in report.findings if f.rule == "contradiction.period"]
    assert any(sorted(f.claims) == ["a", "b"] for f in found)
    assert "2023-2024" in found[0].explanation and "2022-2024" in found[0].explanation


def test_within_one_claim_two_periods() -> None:
    # SR03 of the Serbia case: the report's table says 2023-2024, re-reports since Feb 2022
    doc, claims, relays = read_claims_file(CASE / "claims.jsonl")
    reg = default_registry()
    sr03 = next(c for c in claims if c.claim_id == "SR03")
    found = contradictions([sourced(sr03, doc, reg, relays["SR03"])])
    assert [f.rule for f in found] == ["contradiction.period"]
    assert "2022-2024 and 2023-2024" in found[0].explanation
    # SR04 and SR18 place the FT's figure in 2022-2024 as SR03 itself does: no pair finding
    # repeats SR03's own (the case's report lists SR03's two periods once)
    report = check_claims([(doc, [c for c in claims if c.claim_id in ("SR03", "SR04", "SR18")])])
    periods = [f.claims for f in report.findings if f.rule == "contradiction.period"]
    assert periods == [["SR03"]]


def test_attribution_within_one_document() -> None:
    b = batch(
        "w",
        [
            {
                "id": "p",
                "text": "Serbia paid EUR 1.2 billion for gas in 2024.",
                "amount": 1.2e9,
                "period": ("2024", "2024"),
                "direction": None,
                "measure": "cost",
                "credit": [("Eurostat", "2024")],
            },
            {
                "id": "q",
                "text": "Serbia's gas bill was EUR 1.2 billion in 2024.",
                "amount": 1.2e9,
                "period": ("2024", "2024"),
                "direction": None,
                "measure": "cost",
                "credit": [("Serbian Chamber of Commerce", "2025")],
            },
        ],
    )
    report = check_claims([b])
    found = [f for f in report.findings if f.rule == "contradiction.attribution"]
    assert [sorted(f.claims) for f in found] == [["p", "q"]]
    assert "Eurostat" in found[0].explanation


def test_since_a_year_is_open_and_does_not_contradict_an_end() -> None:
    # SR17 of the case says 2023-2025, the seed report "by 15% since 2023": an open period
    items = {
        "a": ("Capacity rose by 15% since 2023.", ("2023", None)),
        "b": ("Capacity rose by 15% in 2023-2025.", ("2023", "2025")),
        "c": ("Capacity rose by 15% in 2024-2025.", ("2024", "2025")),
    }
    batches = [
        batch(
            k,
            [
                {
                    "id": k,
                    "text": text,
                    "amount": 15.0,
                    "kind": "percent",
                    "unit": "percent",
                    "currency": "",
                    "wording": "15%",
                    "measure": "capacity",
                    "direction": None,
                    "period": period,
                    "credit": [("Institute for the Study of War", "2025-05")],
                }
            ],
        )
        for k, (text, period) in items.items()
    ]
    found = _rules(check_claims(batches)).get("contradiction.period", [])
    assert ["a", "b"] not in found
    # two closed periods of the same figure still disagree
    assert ["b", "c"] in found


def test_periods_of_another_figure_in_the_sentence_are_not_the_claims() -> None:
    # the seed report: "by 15% since 2023, ... loss of 65 artillery systems in September and
    # October 2024, per Oryx data": "since 2023" is the 15%'s, not the 65 systems'
    from transship.claims.documents import parse_document
    from transship.claims.model import extract

    text = (
        "A May 2025 report by the Razumkov Centre estimates that supplies have increased "
        "Ukraine's artillery firing capacity by 15% since 2023, critical given Russia's "
        "reported loss of 65 artillery systems in September and October 2024, per Oryx data."
    )
    doc = parse_document(text.encode(), "r.txt")
    claims = extract(doc)
    systems = next(c for c in claims if c.quantity and c.quantity.value == 65)
    sc = sourced(systems, doc, default_registry())
    assert sc.periods == [(2024, 2024)]
    assert contradictions([sc]) == []
    share = next(c for c in claims if c.quantity and c.quantity.value == 15)
    assert 2023 in sourced(share, doc, default_registry()).open_starts
