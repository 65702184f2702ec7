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
        if r["att"] and r["att_assumption"] == "true":  # recalled, said so
            assert "ATT: UN Treaty Collection" in r["source"] and "not re-checked" in r["source"]
        elif r["att"]:  # checked: the row names the list it was checked against and the status
            assert r["att_assumption"] == "false", code
            assert r["source"].startswith(f"ATT: {r['att']}, "), code
            assert "Wikipedia 'Arms Trade Treaty' oldid 1354069387" in r["source"], code
        # every row names the list each of its statuses comes from
        assert "Wassenaar: wassenaar.org" in r["source"], code
        if r["eu_common_position"] == "member":
            assert "EU membership" in r["source"], code
        elif r["eu_common_position"]:
            assert "alignment" in r["source"] and r["eu_cp_assumption"] == "true", code
    # 107 ATT statuses checked against the lists; the United States stays recalled (counted
    # none by choice, though the lists still show its 2013 signature)
    assert {c for c, r in rows.items() if r["att_assumption"] == "true"} == {"us"}


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
    bg, th, sa = (treaty_indicator(c, 0.05) for c in ("bg", "th", "sa"))
    assert bg.value < th.value < sa.value == 1.0  # party and member < signatory < neither
    assert "ATT: signatory" in th.explanation and "not a Wassenaar participant" in th.explanation
    # Kenya never signed the ATT (not among the 116 parties or 26 signatories; signature closed
    # on entry into force, 24 Dec 2014): it scores as a non-party, like Saudi Arabia
    ke_t = treaty_indicator("ke", 0.05)
    assert "ATT: none" in ke_t.explanation and ke_t.value == sa.value
    assert not treaty_indicator(None, 0.05).checked
