"""The routes page's Sankey bands and map lines carry their largest evidence rows (file and
line), which the hover shows; they are rows of the leg page the band opens."""

from __future__ import annotations

from fastapi.testclient import TestClient

from transship.report.views.flows import PREVIEW_ROWS

QUERY = "origin=SRB&destination=UKR&product=9306&break=2022-02&dataset=comtrade"


def test_bands_and_lines_preview_their_largest_evidence_rows(client: TestClient) -> None:
    page = client.get(f"/routes.json?{QUERY}").json()
    bands, lines = page["sankey"]["links"], page["map"]["links"]
    assert bands and lines
    for link in bands + lines:
        preview = link["evidence_preview"]
        assert 0 < len(preview) <= PREVIEW_ROWS, link
        values = [row["value_usd"] for row in preview]
        assert values == sorted(values, reverse=True)  # the largest first
        for row in preview:
            assert row["file_name"].endswith(".csv") and int(row["line"]) > 1
            assert {row["reporter"], row["partner"]} <= {link["from"], link["to"]}
    # the widest band: its preview rows are its leg page's rows, with the same file and line,
    # and the largest of them
    band = max(bands, key=lambda b: b["record_count"])
    assert band["record_count"] > PREVIEW_ROWS  # so the choice of rows is tested
    leg = client.get(band["evidence_url"].replace("/routes/leg?", "/routes/leg.json?")).json()
    evidence = {e["record_id"]: e for e in leg["evidence"]}
    for row in band["evidence_preview"]:
        e = evidence[row["record_id"]]
        assert (e["file_name"], e["line"], e["value_usd"]) == (
            row["file_name"],
            row["line"],
            row["value_usd"],
        )
    smallest_shown = band["evidence_preview"][-1]["value_usd"]
    not_shown = set(evidence) - {row["record_id"] for row in band["evidence_preview"]}
    assert all(evidence[i]["value_usd"] <= smallest_shown for i in not_shown)


def test_the_page_embeds_the_previews_for_the_hover(client: TestClient) -> None:
    html = client.get(f"/routes?{QUERY}").text
    assert '"evidence_preview"' in html and '"file_name"' in html
