"""Parties as the matcher compares them: names, identifiers, countries, birth dates.

A :class:`Party` is built from an FtM entity (a list entry, or a query in yente's request
shape) or from one row of a screening CSV. It keeps what matching reads, already cleaned
(countries as rigour codes, identifiers normalised by ``rigour.ids``), and the FtM
properties as given, for the yente-shaped result.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from transship.exc import InvalidInput
from transship.resolve.names import Kind

#: FtM schemata a screening list or query may hold, and their name kind.
SCHEMA_KINDS: dict[str, Kind] = {
    "Person": "PER",
    "Company": "ORG",
    "Organization": "ORG",
    "PublicBody": "ORG",
    "LegalEntity": "ENT",
    "Vessel": "OBJ",
    "Airplane": "OBJ",
}

#: Properties holding a party's names; weak aliases are kept apart (yente: they match only
#: literally and weigh less).
NAME_PROPS = ("name", "alias", "previousName")
WEAK_PROPS = ("weakAlias",)
COUNTRY_PROPS = ("country", "jurisdiction", "mainCountry", "nationality", "citizenship")
BIRTH_PROPS = ("birthDate",)

#: FtM property -> (identifier kind, rigour.ids format used to normalise it).
IDENTIFIER_PROPS: dict[str, tuple[str, str | None]] = {
    "innCode": ("inn", "inn"),
    "ogrnCode": ("ogrn", "ogrn"),
    "imoNumber": ("imo", "imo"),
    "leiCode": ("lei", "lei"),
    "registrationNumber": ("registration", None),
    "taxNumber": ("tax", None),
    "okpoCode": ("okpo", None),
    "vatCode": ("vat", None),
    "swiftBic": ("bic", "bic"),
    "idNumber": ("id", None),
    "passportNumber": ("passport", None),
}

#: Identifier kinds with check digits and one issuer: two different values mean two
#: different parties (the counter-evidence of yente's logic-v2 identifier features).
STRONG_IDENTIFIERS = frozenset({"inn", "ogrn", "imo", "lei", "bic"})

#: Screening CSV columns (issue 13) -> FtM property.
CSV_COLUMNS: dict[str, str] = {
    "name": "name",
    "schema": "",
    "country": "country",
    "birth_date": "birthDate",
    "registration_number": "registrationNumber",
    "inn": "innCode",
    "ogrn": "ogrnCode",
    "lei": "leiCode",
    "imo": "imoNumber",
}


@dataclass(slots=True)
class Party:
    """One party on either side of a comparison."""

    id: str
    schema: str
    names: tuple[str, ...]
    weak_aliases: tuple[str, ...] = ()
    countries: frozenset[str] = frozenset()
    birth_dates: tuple[str, ...] = ()
    #: identifier kind -> normalised values
    identifiers: dict[str, frozenset[str]] = field(default_factory=dict)
    #: The FtM properties as given (values are lists of strings).
    properties: dict[str, list[str]] = field(default_factory=dict)
    caption: str = ""
    datasets: tuple[str, ...] = ()
    referents: tuple[str, ...] = ()
    target: bool = False
    first_seen: str | None = None
    last_seen: str | None = None
    last_change: str | None = None
    #: Where the party came from (``file:line`` or ``dataset``), for explanations.
    origin: str = ""

    @property
    def kind(self) -> Kind:
        return SCHEMA_KINDS.get(self.schema, "ENT")

    def entity(self) -> dict[str, Any]:
        """The party as an FtM entity dict (yente's ``EntityResponse`` fields)."""
        return {
            "id": self.id,
            "caption": self.caption,
            "schema": self.schema,
            "properties": self.properties,
            "datasets": list(self.datasets),
            "referents": list(self.referents),
            "target": self.target,
            "first_seen": self.first_seen,
            "last_seen": self.last_seen,
            "last_change": self.last_change,
        }


@lru_cache(maxsize=64)
def _identifier_format(name: str) -> Any:
    from rigour.ids import get_identifier_format

    return get_identifier_format(name)


def normalise_identifier(kind: str, fmt: str | None, value: str) -> str | None:
    """An identifier as compared: rigour's normal form where rigour knows the format, else
    upper-case letters and digits only (``77-07 083893`` -> ``7707083893``)."""
    text = value.strip()
    if not text:
        return None
    if fmt is not None:
        f = _identifier_format(fmt)
        if f is not None:
            norm = f.normalize(text)
            if norm:
                text = str(norm)
    cleaned = "".join(ch for ch in text.upper() if ch.isalnum())
    if kind == "imo" and cleaned.startswith("IMO"):
        cleaned = cleaned[3:]
    return cleaned or None


def _values(props: dict[str, list[str]], names: tuple[str, ...]) -> list[str]:
    out: list[str] = []
    for p in names:
        for v in props.get(p, ()):
            if v and v not in out:
                out.append(v)
    return out


def party_from_properties(
    entity_id: str,
    schema: str,
    properties: dict[str, list[str]],
    *,
    caption: str | None = None,
    datasets: list[str] | tuple[str, ...] = (),
    referents: list[str] | tuple[str, ...] = (),
    target: bool = False,
    first_seen: str | None = None,
    last_seen: str | None = None,
    last_change: str | None = None,
    origin: str = "",
) -> Party:
    """A :class:`Party` from FtM properties (countries must already be rigour codes)."""
    names = _values(properties, NAME_PROPS)
    if not names and schema == "Person":
        parts = _values(properties, ("firstName", "secondName", "middleName", "lastName"))
        if parts:
            names = [" ".join(parts)]
    identifiers: dict[str, set[str]] = {}
    for prop, (kind, fmt) in IDENTIFIER_PROPS.items():
        for v in properties.get(prop, ()):
            norm = normalise_identifier(kind, fmt, v)
            if norm:
                identifiers.setdefault(kind, set()).add(norm)
    return Party(
        id=entity_id,
        schema=schema,
        names=tuple(names),
        weak_aliases=tuple(_values(properties, WEAK_PROPS)),
        countries=frozenset(v.lower() for v in _values(properties, COUNTRY_PROPS)),
        birth_dates=tuple(_values(properties, BIRTH_PROPS)),
        identifiers={k: frozenset(v) for k, v in identifiers.items()},
        properties=properties,
        caption=caption or (names[0] if names else entity_id),
        datasets=tuple(datasets),
        referents=tuple(referents),
        target=target,
        first_seen=first_seen,
        last_seen=last_seen,
        last_change=last_change,
        origin=origin,
    )


@lru_cache(maxsize=4096)
def clean_country(text: str) -> str | None:
    """A country name or code as a lowercase rigour code (``Serbia``, ``RS`` -> ``rs``)."""
    from followthemoney.types import registry

    cleaned = registry.country.clean(text)
    return str(cleaned) if cleaned else None


def query_party(
    query_id: str,
    name: str | list[str],
    schema: str = "LegalEntity",
    *,
    country: str | list[str] | None = None,
    birth_date: str | None = None,
    identifiers: dict[str, str] | None = None,
    where: str = "query",
) -> Party:
    """A query party from plain values (a name on the command line, a CSV row).

    ``identifiers`` maps FtM properties (``innCode``, ``imoNumber``, ...) to values.
    Raises :class:`~transship.exc.InvalidInput` naming ``where`` for an unknown schema or
    country.
    """
    if schema not in SCHEMA_KINDS:
        known = ", ".join(sorted(SCHEMA_KINDS))
        raise InvalidInput(f"{where}: unknown schema {schema!r} (one of {known})")
    names = [name] if isinstance(name, str) else list(name)
    names = [n.strip() for n in names if n and n.strip()]
    if not names:
        raise InvalidInput(f"{where}: no name to screen")
    props: dict[str, list[str]] = {"name": names}
    countries = [country] if isinstance(country, str) else list(country or [])
    codes: list[str] = []
    for c in countries:
        if not c or not c.strip():
            continue
        code = clean_country(c.strip())
        if code is None:
            raise InvalidInput(f"{where}: not a country: {c!r}")
        codes.append(code)
    if codes:
        props["country"] = codes
    if birth_date and birth_date.strip():
        props["birthDate"] = [birth_date.strip()]
    for prop, value in (identifiers or {}).items():
        if value and value.strip():
            props[prop] = [value.strip()]
    return party_from_properties(query_id, schema, props, caption=names[0], origin=where)
