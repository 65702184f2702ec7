"""What a certificate says about itself: its essential elements and their consistency.

The elements are those of the Wassenaar Arrangement's best practices on end-user assurances
("End-User Assurances Commonly Used - Consolidated Indicative List" and "Introduction to
End User/End Use Controls for Exports of Military-List Equipment", in the Compendium of Best
Practice Documents, Public Documents vol. III, December 2018) and of the EU User's Guide to
Council Common Position 2008/944/CFSP (version endorsed 16 September 2019, section on
end-user certificates; Council Decision (CFSP) 2021/38 sets the same common elements for small
arms and light weapons and their ammunition): exporter; consignee(s); end user; country of
final destination; description and quantity of the goods; end use; an undertaking not to
re-export without the exporting state's consent; issuing authority; signatory (name and
position); date of issue; validity; delivery verification where required.

Elements the transship certificate format has no field for (value of the goods, contract or
order reference, addresses, the signature and stamp themselves) cannot be checked here; they
are listed in every result's ``not_checked``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from transship.risk.model import Finding

#: (field, severity when missing, what it is, why it matters).
ELEMENTS: tuple[tuple[str, str, str, str], ...] = (
    ("exporter", "medium", "exporter", "the certificate must name who sells"),
    ("consignee", "medium", "consignee", "who receives the goods first is where diversion starts"),
    ("end_user", "high", "end user", "without an end user there is nothing to hold to account"),
    (
        "final_destination",
        "high",
        "country of final destination",
        "the licence is decided for a country",
    ),
    (
        "goods_description",
        "high",
        "description of the goods",
        "the undertaking must cover these goods",
    ),
    ("quantity", "high", "quantity", "an open quantity lets one certificate cover several deals"),
    ("end_use", "medium", "end use", "the stated use is what makes the end user plausible"),
    (
        "non_reexport_clause",
        "high",
        "non-re-export undertaking",
        "without it the importer may pass the goods on freely",
    ),
    (
        "issuing_authority",
        "medium",
        "issuing authority",
        "a government certificate must say which body issued it",
    ),
    ("signatory", "medium", "signatory", "someone must answer for the undertaking"),
    ("issue_date", "medium", "date of issue", "an undated certificate can be reused at will"),
    ("valid_until", "low", "validity", "without an end of validity it can be reused later"),
    (
        "delivery_verification",
        "low",
        "delivery verification",
        "nothing will show the goods arrived",
    ),
)

#: Elements the format cannot carry; always "not checked".
NOT_IN_FORMAT = (
    "value of the goods and the contract or order reference (no field in the certificate format)",
    "addresses of consignee and end user (no field in the certificate format)",
    "authenticity of the signature, stamp and paper (needs the document and the issuing "
    "authority's confirmation)",
)

_POSITION = re.compile(
    r"[,(/]|\b(minister|director|general|colonel|col\.|gen\.|maj\.|major|brigadier|commander|"
    r"chief|head|secretary|officer|deputy|lt\.?|captain|capt\.|admiral|ceo|president|"
    r"manager|chairman|attach[eé])\b",
    re.IGNORECASE,
)
_COMMERCIAL_USE = re.compile(
    r"\b(resale|re-?sale|re-?export|trading|trade|stock(pile|ing)?|commercial|further sale|"
    r"distribution|dealer|brokerage|warehous\w*)\b",
    re.IGNORECASE,
)
_COMPANY = re.compile(
    r"\b(d\.?o\.?o\.?|s\.?r\.?o\.?|sp\.? z o\.?o\.?|gmbh|ltd\.?|limited|llc|l\.l\.c\.|inc\.?|"
    r"eood|ood|jsc|ojsc|pjsc|fze|fzco|fz-llc|s\.a\.|sarl|s\.a\.r\.l\.|b\.v\.|a\.s\.|"
    r"plc|corp\.?|co\.|trading|logistics)(?=\W|$)",
    re.IGNORECASE,
)
#: "no re-export", "not for resale": an undertaking, not a commercial end use.
_NEGATED = re.compile(
    r"\b(no|not|never|without|nor|prohibit\w*|forbid\w*)\b[\w\s,-]{0,20}?"
    r"\b(re-?sale|re-?export\w*|transfer\w*|trade|trading)\b",
    re.IGNORECASE,
)
_NO_VERIFICATION = re.compile(r"^\s*(none|no|not required|n/?a|-)\s*$", re.IGNORECASE)


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _day(value: Any) -> str | None:
    return None if _blank(value) else str(value).strip()[:10]


def before(a: str, b: str) -> bool:
    """a < b comparing only the precision both ISO dates have (``2021`` vs ``2021-03``)."""
    n = min(len(a), len(b))
    return a[:n] < b[:n]


def element_findings(cert: Mapping[str, Any], evidence: list[str]) -> list[Finding]:
    """Missing, refused or contradictory essential elements of one certificate."""
    out: list[Finding] = []
    cid = str(cert.get("certificate_id") or "")
    for name, severity, label, why in ELEMENTS:
        value = cert.get(name)
        if name == "final_destination" and _blank(value):
            value = cert.get("end_user_country")
        if name == "quantity":
            if value is None or not float(value) > 0:
                out.append(
                    Finding(f"missing.{name}", severity, f"no {label}: {why}", evidence, cid)
                )
            continue
        if name == "non_reexport_clause":
            if value is False:
                out.append(
                    Finding(
                        "clause.refused",
                        "high",
                        "the certificate says it carries no undertaking not to re-export: "
                        "the importer may pass the goods on without asking",
                        evidence,
                        cid,
                    )
                )
            elif value is not True:
                out.append(
                    Finding(f"missing.{name}", severity, f"no {label}: {why}", evidence, cid)
                )
            continue
        if _blank(value):
            out.append(Finding(f"missing.{name}", severity, f"no {label}: {why}", evidence, cid))
    signatory = cert.get("signatory")
    if not _blank(signatory) and not _POSITION.search(str(signatory)):
        out.append(
            Finding(
                "signatory.no_position",
                "low",
                f"the signatory {signatory!r} is named without a position: best practice asks "
                "for name and position, so the authority can confirm who signed",
                evidence,
                cid,
            )
        )
    verification = cert.get("delivery_verification")
    if not _blank(verification) and _NO_VERIFICATION.match(str(verification)):
        out.append(
            Finding(
                "delivery_verification.none",
                "low",
                "the certificate rules out delivery verification: nothing will show the goods "
                "reached the end user",
                evidence,
                cid,
            )
        )
    use = cert.get("end_use")
    if not _blank(use) and _COMMERCIAL_USE.search(_NEGATED.sub(" ", str(use))):
        out.append(
            Finding(
                "end_use.commercial",
                "high",
                f"the stated end use {use!r} is trade, not use: the named end user is an "
                "intermediary and the real end user is not named",
                evidence,
                cid,
            )
        )
    end_user = cert.get("end_user")
    if not _blank(end_user) and _COMPANY.search(str(end_user)):
        out.append(
            Finding(
                "end_user.company",
                "medium",
                f"the end user {end_user!r} reads as a company, not a government body or armed "
                "force: check that it uses the goods itself rather than passing them on",
                evidence,
                cid,
            )
        )
    eu_country, dest = cert.get("end_user_country"), cert.get("final_destination")
    if not _blank(eu_country) and not _blank(dest) and eu_country != dest:
        out.append(
            Finding(
                "destination.inconsistent",
                "medium",
                f"the end user is in {str(eu_country).upper()} but the final destination is "
                f"{str(dest).upper()}: the certificate contradicts itself",
                evidence,
                cid,
            )
        )
    consignee_country = cert.get("consignee_country")
    final = dest or eu_country
    if not _blank(consignee_country) and not _blank(final) and consignee_country != final:
        out.append(
            Finding(
                "consignee.intermediate",
                "low",
                f"the goods go first to a consignee in {str(consignee_country).upper()}, not to "
                f"the final destination {str(final).upper()}: an intermediate country is where "
                "diversion usually happens",
                evidence,
                cid,
            )
        )
    issued, until = _day(cert.get("issue_date")), _day(cert.get("valid_until"))
    if issued and until and before(until, issued):
        out.append(
            Finding(
                "dates.order",
                "high",
                f"the certificate expires ({until}) before it was issued ({issued})",
                evidence,
                cid,
            )
        )
    return out


__all__ = ["ELEMENTS", "NOT_IN_FORMAT", "before", "element_findings"]
