"""Legal forms of the region's languages (step 3 of :mod:`transship.resolve.names`): the
table, matched on written tokens and, for multi-word forms, on their skeletons."""

from __future__ import annotations

from transship.resolve.spelling import skeleton

#: Legal forms (as ASCII token sequences) -> class. Classes group forms that the same firm
#: may be listed under in different languages or after a re-registration (a Russian OAO
#: became a PAO or an AO in 2014; the English lists write OJSC or JSC).
LEGAL_FORMS: dict[tuple[str, ...], str] = {}


def _forms(cls: str, *spellings: str) -> None:
    for spelling in spellings:
        LEGAL_FORMS[tuple(spelling.split())] = cls


_forms(
    "JSC",
    # Serbian, Croatian, Bosnian, Montenegrin, Macedonian, Bulgarian, Slovenian
    "ad",
    "akcionarsko drustvo",
    "akcionarsko drushtvo",
    "dionicko drustvo",
    "dd",
    "ead",
    "aktsionerno druzhestvo",
    # Russian (ОАО, ЗАО, ПАО, АО, НАО) and their English renderings
    "ao",
    "oao",
    "zao",
    "pao",
    "nao",
    "jsc",
    "ojsc",
    "cjsc",
    "jsco",
    "pjsc",
    "ajsc",
    "joint stock company",
    "open joint stock company",
    "closed joint stock company",
    "public joint stock company",
    "joint-stock company",
    "aktsionernoe obshchestvo",
    "otkrytoe aktsionernoe obshchestvo",
    "zakrytoe aktsionernoe obshchestvo",
    "publichnoe aktsionernoe obshchestvo",
    # Ukrainian (АТ, ПАТ, ПрАТ, ВАТ)
    "at",
    "pat",
    "prat",
    "vat",
    "pao",
    # Czech, Slovak (a.s.), Polish (S.A.), German (AG), Romance
    "as",
    "akciova spolecnost",
    "akciova spolocnost",
    "sa",
    "spolka akcyjna",
    "ag",
    "aktiengesellschaft",
    "spa",
    "nv",
    "plc",
)
_forms(
    "LLC",
    "doo",
    "drustvo sa ogranicenom odgovornoscu",
    "drustvo s ogranicenom odgovornoscu",
    "dooel",
    "eood",
    "ood",
    "ooo",
    "llc",
    "ltd",
    "limited",
    "limited liability company",
    "obshchestvo s ogranichennoi otvetstvennostiu",
    "obshchestvo s ogranichennoy otvetstvennostyu",
    "tov",
    "sro",
    "spol sro",
    "spol s ro",
    "sp z oo",
    "spolka z ograniczona odpowiedzialnoscia",
    "gmbh",
    "srl",
    "bv",
    "kft",
)
_forms(
    "STATE",
    "jp",
    "javno preduzece",
    "javno poduzece",
    "dp",  # Ukrainian державне підприємство
    "fgup",
    "gup",
    "fkp",
    "fgbu",
    "state unitary enterprise",
    "federal state unitary enterprise",
    "state enterprise",
    "drzhavno predpriyatie",
)
_forms("CORP", "inc", "incorporated", "corp", "corporation", "co", "company", "cie")
_forms("PARTNERSHIP", "kd", "od", "lp", "llp", "kg", "ohg", "sp k", "snc")

#: Forms that are also ordinary words or initials somewhere: legal only at a name's start
#: or end (``Arsenal AD``, ``AO Izhmash``), never in the middle (``Ko Tae Hun``).
AMBIGUOUS_FORMS = frozenset(
    {"as", "at", "ad", "ao", "sa", "co", "od", "dd", "dp", "kd", "ag", "nv", "company", "vat"}
)
#: Multi-word forms also by skeleton, so every romanisation of ``акционерное общество``
#: is found; one-word forms only as written (``ood`` and ``od`` share a skeleton but are
#: a Bulgarian LLC and a Serbian partnership).
LEGAL_BY_SKELETON: dict[tuple[str, ...], tuple[str, tuple[str, ...]]] = {
    tuple(skeleton(t) for t in form): (cls, form)
    for form, cls in LEGAL_FORMS.items()
    if len(form) > 1
}
MAX_FORM_TOKENS = max(len(f) for f in LEGAL_FORMS)
#: Tokens (as written, or as skeletons) that can start a legal form: a name holding none
#: of them has no legal form, and most names hold none.
FORM_STARTS = frozenset(f[0] for f in LEGAL_FORMS) | frozenset(f[0] for f in LEGAL_BY_SKELETON)
