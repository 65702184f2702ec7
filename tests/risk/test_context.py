"""The shipped country tables (treaties, governance) and the country indicators."""

from __future__ import annotations

from transship.normalise.territories import from_iso
from transship.risk.context import (
    WASSENAAR,
    governance,
    governance_indicator,
    treaties,
    treaty_indicator,
)


def test_treaty_table() -> None:
    rows = {code: row for code, (_, row) in treaties().items()}
    assert len(WASSENAAR) == 42
    assert {"ru", "ua", "in", "za", "mx"} <= WASSENAAR and "rs" not in WASSENAAR
    members = {c for c, r in rows.items() if r["eu_common_position"] == "member"}
    assert len(members) == 27 and "bg" in members and "rs" not in members
    for code, r in rows.items():
        assert from_iso(code).is_country, code
        assert r["att"] in ("party", "signatory", "none", "")
        if r["att"]:
            assert r["att_assumption"] == "true"  # recalled, said so
            assert "ATT: UN Treaty Collection" in r["source"] and "not re-checked" in r["source"]
        # every row names the list each of its statuses comes from
        assert "Wassenaar: wassenaar.org" in r["source"], code
        if r["eu_common_position"] == "member":
            assert "EU membership" in r["source"], code
        elif r["eu_common_position"]:
            assert "alignment" in r["source"] and r["eu_cp_assumption"] == "true", code


def test_governance_table() -> None:
    rows = governance()
    assert len(rows) >= 15
    for code, (line, r) in rows.items():
        assert from_iso(code).is_country, code
        low, value, high = float(r["lower"]), float(r["value"]), float(r["upper"])
        assert 0 <= low <= value <= high <= 100, (code, line)
        assert r["indicator"] == "CC.PER.RNK" and r["year"] == "2022"


def test_country_indicators_explain_themselves() -> None:
    ke = governance_indicator("ke", 0.1)
    assert ke.checked and 0.7 < ke.value < 0.8 and "WGI" in ke.explanation
    assert ke.evidence[0].startswith("governance.csv:")
    assert not governance_indicator("zw", 0.1).checked  # not in the partial table: said
    bg, ke_t, sa = (treaty_indicator(c, 0.05) for c in ("bg", "ke", "sa"))
    assert bg.value < ke_t.value < sa.value == 1.0
    assert "not a Wassenaar participant" in ke_t.explanation
    assert not treaty_indicator(None, 0.05).checked
