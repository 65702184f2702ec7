"""The contract API of plans/contracts.md exists and answers the documented examples."""

from __future__ import annotations

import pyarrow as pa

from transship.normalise import (
    UNKNOWN,
    WORLD,
    from_comtrade,
    from_iso,
    from_name,
    hs_code,
    hs_edition,
    lookup,
    ml_category,
    territory_arrays,
)


def test_contract_examples() -> None:
    assert from_comtrade(842).m49 == "840"
    assert from_comtrade("490").code == "tw"
    assert from_comtrade(0) is WORLD
    assert from_iso("SRB").code == "rs"
    assert from_name("unknown recipient(s)") is UNKNOWN
    assert lookup("Србија").code == "rs"
    assert hs_code("10121") == "010121"
    assert hs_edition("HS2017") == "H5"
    assert ml_category("ML 4") == "ML4"
    out = territory_arrays(pa.array(["842", "0", None, "9999"]), from_comtrade)
    assert out["code"].to_pylist() == ["us", "world", None, "zz"]
    assert out["unknown"].to_pylist() == [False, False, False, True]


def test_package_exports_exist() -> None:
    import transship.normalise as package

    for name in package.__all__:
        assert getattr(package, name) is not None, name
