"""docs/reference.md is generated from the shipped tables and must not go stale."""

from __future__ import annotations

from transship.data.render_docs import DOC_PATH, main, render


def test_reference_doc_is_current() -> None:
    assert DOC_PATH.read_text(encoding="utf-8") == render(), (
        "docs/reference.md is stale: run python -m transship.data.render_docs"
    )
    assert main(["--check"]) == 0


def test_reference_doc_covers_every_table() -> None:
    text = render()
    for name in (
        "comtrade_areas.csv",
        "territory_aliases.csv",
        "hs_codes.csv",
        "military_list.csv",
        "ecb_eur_usd_annual.csv",
        "weapon_systems.csv",
        "units.csv",
        "comtrade_quantity_codes.csv",
        "baci_areas.csv",
    ):
        assert f"transship/data/{name}" in text
    assert "| 490 | tw | TWN |" in text
    assert "European Central Bank" in text
