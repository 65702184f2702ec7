"""Read a case (``cases/NAME/case.yaml``): validate it against its JSON Schema, check that
every claim it cites exists, and turn it into typed records the simulator uses.

A case is the project's reading of a report: who the parties are, what they make, which
routes are alleged and how each country's statistics would see the trade. Every number in
it carries where it came from (a claim id or an assumption with a reason), so the simulated
world can always be traced back to the sentence or the guess behind it.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema
import yaml

from transship.exc import NotFound, SourceFormatError

CASE_FILE = "case.yaml"


@dataclass(frozen=True, slots=True)
class Num:
    """A number with its basis: ``source`` (a claim id) or ``assumption`` with a reason.
    Ranges have ``low``/``high``; single numbers have ``value`` (and low = high = value)."""

    low: float
    high: float
    source: str | None = None
    reason: str | None = None

    @property
    def value(self) -> float:
        return (self.low + self.high) / 2

    @property
    def basis(self) -> str:
        return f"source {self.source}" if self.source else f"assumption: {self.reason}"


@dataclass(frozen=True, slots=True)
class Product:
    id: str
    name: str
    hs_code: str
    ml_category: str
    calibre: str | None
    unit: str
    unit_value_eur: Num
    unit_weight_kg: Num
    compatible_systems: tuple[str, ...]
    ammunition: str | None = None


@dataclass(frozen=True, slots=True)
class Party:
    id: str
    name: str
    country: str
    roles: tuple[str, ...]
    aliases: tuple[str, ...] = ()
    simulated: bool = False
    state_owned: bool = False
    capacities: dict[str, Num] = field(default_factory=dict)
    source: str | None = None
    reason: str | None = None
    note: str | None = None


@dataclass(frozen=True, slots=True)
class Demand:
    id: str
    seller_country: str
    buyer_country: str
    product: str
    annual_value_eur: Num
    years: tuple[int, int] | None
    seller: str | None
    producer: str | None
    consignments_per_year: Num | None


@dataclass(frozen=True, slots=True)
class Leg:
    origin: str
    to: str
    party: str | None
    transit: tuple[str, ...]
    transport: str
    lag_days: Num | None


@dataclass(frozen=True, slots=True)
class Scheme:
    id: str
    description: str
    product: str
    producer: str | None
    exporter: str | None
    declared_end_user: str | None
    legs: tuple[Leg, ...]
    start: str  # YYYY-MM
    end: str
    value_eur: Num | None
    quantity: Num | None
    consignments_per_year: Num
    forged: Num
    reused: Num
    no_compatible_system: Num
    onward_cites_certificate: Num | None
    markup: Num | None
    source: str | None

    @property
    def path(self) -> tuple[str, ...]:
        """Countries the goods pass through, origin first (lowercase ISO2)."""
        return (self.legs[0].origin, *(leg.to for leg in self.legs))


@dataclass(slots=True)
class Case:
    """A loaded case. ``raw`` keeps the validated YAML for whatever a stage needs beyond this."""

    path: Path
    id: str
    title: str
    years: tuple[int, int]
    break_date: str | None
    products: dict[str, Product]
    parties: dict[str, Party]
    weapon_systems: dict[str, tuple[str, str | None]]
    holdings: dict[str, tuple[str, ...]]
    legitimate: list[Demand]
    schemes: list[Scheme]
    reporting_default: dict[str, Any]
    reporting_territories: dict[str, dict[str, Any]]
    background: dict[str, Num]
    noise_levels: dict[str, float]
    claims: dict[str, dict[str, Any]]
    claims_file: Path | None
    parties_file: Path | None
    raw: dict[str, Any]

    @property
    def folder(self) -> Path:
        return self.path.parent

    @property
    def dataset(self) -> str:
        """FtM dataset name of the case's own files."""
        return "transship_case_" + self.id.replace("-", "_")


@cache
def case_schema() -> dict[str, Any]:
    text = (resources.files("transship.data") / "schemas" / "case.schema.json").read_text("utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


def _field_path(parts: Any) -> str:
    out = ""
    for p in parts:
        out += f"[{p}]" if isinstance(p, int) else (f".{p}" if out else str(p))
    return out or "(top level)"


def validate_case_dict(data: Any, path: Path) -> None:
    """Raise ``SourceFormatError`` naming the file and the first bad fields."""
    if not isinstance(data, dict):
        raise SourceFormatError(path, "a case file must be a YAML mapping")
    validator = jsonschema.Draft202012Validator(case_schema())
    errors = sorted(
        validator.iter_errors(data),
        key=lambda e: (len(e.absolute_path), list(map(str, e.absolute_path))),
    )
    if errors:
        err = errors[0]
        # oneOf/anyOf failures hide the useful part in their context.
        best = jsonschema.exceptions.best_match([err]) if err.context else err
        where = _field_path(best.absolute_path)
        more = f" (and {len(errors) - 1} more problems)" if len(errors) > 1 else ""
        raise SourceFormatError(path, f"{_message(best)}{more}", column=where)


def _message(err: jsonschema.ValidationError) -> str:
    if err.validator in ("oneOf", "anyOf") and "basis" in json.dumps(err.schema)[:4000]:
        return (
            "a number needs its basis: `source: <claim id>` or `assumption: true` with a `reason`"
        )
    msg = err.message
    return msg if len(msg) < 240 else msg[:237] + "..."


def _num(d: dict[str, Any] | None) -> Num | None:
    if d is None:
        return None
    if "value" in d:
        lo = hi = float(d["value"])
    else:
        lo, hi = float(d["low"]), float(d["high"])
    return Num(lo, hi, d.get("source"), d.get("reason"))


def _req(d: dict[str, Any]) -> Num:
    n = _num(d)
    assert n is not None
    return n


def _walk_sources(node: Any, where: str, out: list[tuple[str, str]]) -> None:
    if isinstance(node, dict):
        for k, v in node.items():
            sub = f"{where}.{k}" if where else k
            if k in ("source", "claim") and isinstance(v, str):
                out.append((sub, v))
            else:
                _walk_sources(v, sub, out)
    elif isinstance(node, list):
        for i, v in enumerate(node):
            _walk_sources(v, f"{where}[{i}]", out)


def read_claims(path: Path) -> dict[str, dict[str, Any]]:
    """Claims file (JSON lines, the claims format) keyed by id."""
    claims: dict[str, dict[str, Any]] = {}
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise SourceFormatError(path, f"cannot read claims file: {exc.strerror or exc}") from exc
    for n, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            raise SourceFormatError(path, f"not JSON: {exc.msg}", line=n) from exc
        if not isinstance(obj, dict) or not obj.get("id"):
            raise SourceFormatError(path, "each line must be an object with an id", line=n)
        if obj["id"] in claims:
            raise SourceFormatError(path, f"duplicate claim id {obj['id']!r}", line=n, column="id")
        claims[obj["id"]] = obj
    return claims


def load_case(path: str | Path) -> Case:
    """Load ``cases/NAME`` (or its ``case.yaml``), validated; errors name the file and field."""
    p = Path(path)
    if p.is_dir():
        p = p / CASE_FILE
    if not p.exists():
        raise NotFound(f"no case at {path} (expected a folder with {CASE_FILE})")
    try:
        data = yaml.safe_load(p.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        raise SourceFormatError(
            p, f"not valid YAML: {getattr(exc, 'problem', None) or exc}", line=line
        ) from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise SourceFormatError(p, f"cannot read case file: {exc}") from exc
    validate_case_dict(data, p)
    folder = p.parent
    files = data.get("files", {})
    claims_file = folder / files["claims"] if files.get("claims") else None
    parties_file = folder / files["parties"] if files.get("parties") else None
    claims = read_claims(claims_file) if claims_file else {}
    refs: list[tuple[str, str]] = []
    _walk_sources(data, "", refs)
    for where, ref in refs:
        if ref not in claims:
            raise SourceFormatError(
                p,
                f"cites claim {ref!r}, which is not in {claims_file or 'any claims file'}",
                column=where,
            )
    return _build(p, data, claims, claims_file, parties_file)


def _build(
    p: Path,
    data: dict[str, Any],
    claims: dict[str, dict[str, Any]],
    claims_file: Path | None,
    parties_file: Path | None,
) -> Case:
    products = {
        d["id"]: Product(
            d["id"],
            d["name"],
            d["hs_code"],
            d["ml_category"],
            d.get("calibre"),
            d["unit"],
            _req(d["unit_value_eur"]),
            _req(d["unit_weight_kg"]),
            tuple(d.get("compatible_systems", ())),
            d.get("ammunition"),
        )
        for d in data["products"]
    }
    parties: dict[str, Party] = {}
    for i, d in enumerate(data["parties"]):
        if d["id"] in parties:
            raise SourceFormatError(p, f"duplicate party id {d['id']!r}", column=f"parties[{i}].id")
        caps = {c["product"]: _req(c["annual_capacity"]) for c in d.get("products", ())}
        parties[d["id"]] = Party(
            d["id"],
            d["name"],
            d["country"],
            tuple(d["roles"]),
            tuple(d.get("aliases", ())),
            bool(d.get("simulated")),
            bool(d.get("state_owned")),
            caps,
            d.get("source"),
            d.get("reason"),
            d.get("note"),
        )
    systems = {
        d["name"]: (d["calibre"], d.get("ammunition")) for d in data.get("weapon_systems", ())
    }
    holdings = {d["country"]: tuple(d["systems"]) for d in data.get("holdings", ())}

    def need(kind: str, ident: str | None, table: dict[str, Any], where: str) -> None:
        if ident is not None and ident not in table:
            raise SourceFormatError(p, f"unknown {kind} {ident!r}", column=where)

    for i, d in enumerate(data["parties"]):
        for j, c in enumerate(d.get("products", ())):
            need("product", c["product"], products, f"parties[{i}].products[{j}].product")
    for i, d in enumerate(data.get("holdings", ())):
        for s in d["systems"]:
            need("weapon system", s, systems, f"holdings[{i}].systems")
    for pid, prod in products.items():
        for s in prod.compatible_systems:
            need("weapon system", s, systems, f"products[{pid}].compatible_systems")
    demand: list[Demand] = []
    for i, d in enumerate(data.get("legitimate_demand", ())):
        need("product", d["product"], products, f"legitimate_demand[{i}].product")
        need("party", d.get("seller"), parties, f"legitimate_demand[{i}].seller")
        need("party", d.get("producer"), parties, f"legitimate_demand[{i}].producer")
        yrs = d.get("years")
        demand.append(
            Demand(
                d["id"],
                d["seller_country"],
                d["buyer_country"],
                d["product"],
                _req(d["annual_value_eur"]),
                (int(yrs.get("start", 1900)), int(yrs.get("end", 2100))) if yrs else None,
                d.get("seller"),
                d.get("producer"),
                _num(d.get("consignments_per_year")),
            )
        )
    schemes: list[Scheme] = []
    for i, d in enumerate(data["diversion_schemes"]):
        w = f"diversion_schemes[{i}]"
        need("product", d["product"], products, f"{w}.product")
        for key in ("producer", "exporter", "declared_end_user"):
            need("party", d.get(key), parties, f"{w}.{key}")
        legs = []
        for j, leg in enumerate(d["legs"]):
            need("party", leg.get("party"), parties, f"{w}.legs[{j}].party")
            if j and leg["from"] != d["legs"][j - 1]["to"]:
                raise SourceFormatError(
                    p,
                    "each leg must start where the previous one ends",
                    column=f"{w}.legs[{j}].from",
                )
            legs.append(
                Leg(
                    leg["from"],
                    leg["to"],
                    leg.get("party"),
                    tuple(leg.get("transit", ())),
                    leg.get("transport", "road"),
                    _num(leg.get("lag_days")),
                )
            )
        if d["end"] < d["start"]:
            raise SourceFormatError(p, "end is before start", column=f"{w}.end")
        c = d["certificates"]
        if c["forged"]["value"] + c["reused"]["value"] + c["no_compatible_system"]["value"] > 1:
            raise SourceFormatError(
                p, "certificate shares add up to more than 1", column=f"{w}.certificates"
            )
        schemes.append(
            Scheme(
                d["id"],
                d.get("description", ""),
                d["product"],
                d.get("producer"),
                d.get("exporter"),
                d.get("declared_end_user"),
                tuple(legs),
                d["start"],
                d["end"],
                _num(d.get("value_eur")),
                _num(d.get("quantity")),
                _req(d["consignments_per_year"]),
                _req(c["forged"]),
                _req(c["reused"]),
                _req(c["no_compatible_system"]),
                _num(d.get("onward_cites_certificate")),
                _num(d.get("markup")),
                d.get("source"),
            )
        )
    years = (int(data["years"]["start"]), int(data["years"]["end"]))
    if years[1] < years[0]:
        raise SourceFormatError(p, "end is before start", column="years.end")
    rep = data["reporting"]
    return Case(
        path=p,
        id=data["id"],
        title=data["title"],
        years=years,
        break_date=data.get("break_date"),
        products=products,
        parties=parties,
        weapon_systems=systems,
        holdings=holdings,
        legitimate=demand,
        schemes=schemes,
        reporting_default=rep["default"],
        reporting_territories=rep.get("territories", {}),
        background={k: _req(v) for k, v in data.get("background", {}).items()},
        noise_levels={k: float(v["value"]) for k, v in data.get("noise_levels", {}).items()}
        or {"low": 0.5, "medium": 1.0, "high": 2.0},
        claims=claims,
        claims_file=claims_file,
        parties_file=parties_file,
        raw=data,
    )


def compatible_systems(
    case: Case | None, country: str, calibre: str, ammunition: str | None = None
) -> list[str]:
    """Weapon systems of ``calibre`` the armed forces of ``country`` are known to hold: the
    shipped operator table (transship/data/weapon_systems.csv) plus the case's own holdings.
    Empty means "none known", which the certificate check reports as a flag, not a proof."""
    from transship.exc import InvalidInput
    from transship.normalise.military import calibre as canonical
    from transship.normalise.military import known_operator

    try:
        wanted = canonical(calibre)
    except InvalidInput:
        return []
    names = [r.weapon_system for r in known_operator(country, wanted, ammunition)]
    if case is not None:
        for system in case.holdings.get(country.lower(), ()):
            cal, kind = case.weapon_systems.get(system, ("", None))
            try:
                same = canonical(cal) == wanted
            except InvalidInput:
                same = False
            if same and (ammunition is None or kind is None or ammunition in kind):
                names.append(system)
    return sorted(set(names))


def holdings_table(case: Case) -> dict[str, list[list[str | None]]]:
    """The case's extra holdings as plain data (country -> [system, calibre, ammunition]),
    written into a simulation's manifest so evaluation needs no case folder."""
    out: dict[str, list[list[str | None]]] = {}
    for country, systems in sorted(case.holdings.items()):
        out[country] = [[s, *case.weapon_systems.get(s, ("", None))] for s in systems]
    return out


def case_files(case: Case) -> list[Path]:
    """The case's own files a store ingests (parties as FtM entities, claims)."""
    return [f for f in (case.parties_file, case.claims_file) if f is not None and f.exists()]


# -- FtM parties ------------------------------------------------------------------------------


def party_entity_id(case: Case, party_id: str) -> str:
    """Deterministic FtM id for a case party: ``ts-co-`` + sha1 of case and party id."""
    return "ts-co-" + hashlib.sha1(f"{case.id}:{party_id}".encode()).hexdigest()[:16]


def parties_ftm(case: Case) -> list[dict[str, Any]]:
    """FtM entities of the parties that sources name (invented parties are left out).

    Each says which claim names it (``notes``) and where that claim was read (``sourceUrl``)."""
    out = []
    for party in case.parties.values():
        if party.simulated:
            continue
        schema = (
            "PublicBody"
            if "authority" in party.roles or party.id in ("ua-mod", "pl-reserves")
            else "Company"
        )
        claim = case.claims.get(party.source or "", {})
        props: dict[str, list[str]] = {
            "name": [party.name],
            "country": [party.country],
        }
        if party.aliases:
            props["alias"] = list(party.aliases)
        if schema == "Company":
            props["jurisdiction"] = [party.country]
        topics = ["mil"]
        if party.state_owned:
            topics.append("gov.soe")
        props["topics"] = topics
        roles = ", ".join(r.replace("_", " ") for r in party.roles)
        note = f"Role in case {case.id}: {roles}. Named in claim {party.source}"
        if claim.get("original_source"):
            note += f" ({claim['original_source']})"
        note += "."
        if party.note:
            note += f" Note: {party.note}."
        props["notes"] = [note]
        if claim.get("urls"):
            props["sourceUrl"] = list(claim["urls"])
        props["description"] = [f"Party of the transship case {case.id}: {case.title}."]
        out.append(
            {
                "id": party_entity_id(case, party.id),
                "schema": schema,
                "properties": props,
                "datasets": [case.dataset],
                "referents": [],
            }
        )
    return sorted(out, key=lambda e: e["id"])


def write_parties_ftm(case: Case, path: Path | None = None) -> Path:
    """(Re)write the case's parties file from case.yaml."""
    target = path or case.parties_file or (case.folder / "parties.ftm.jsonl")
    lines = [json.dumps(e, ensure_ascii=False, sort_keys=False) for e in parties_ftm(case)]
    target.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return target
