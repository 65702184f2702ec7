"""Score one query party against one list entry, feature by feature (yente's shape).

The score is built as yente's ``logic-v2`` builds it, so that a yente user reads it the same
way: the best of the *main* features (each times its weight) plus the *qualifiers* (weights
below zero take away), clamped to 0..1.

Main features:

* ``name_match`` (1.0): the best pair of names (name, alias, previousName on either side),
  scored by :func:`transship.resolve.compare.compare_names`; the detail is the alignment.
* ``identifier_match`` (0.95): an identifier both sides carry (INN, OGRN, IMO, LEI, BIC,
  registration, tax, OKPO, VAT numbers; normalised by ``rigour.ids``): strong evidence
  whatever the names say. A number of six or more characters filed under two kinds (an
  INN given as the registration number) matches too.
* ``weak_alias_match`` (0.8): a weak alias on one side literally equal to a name on the other
  (weak aliases are short or generic: ``Kalash``; they never match fuzzily).

Qualifiers:

* ``identifier_conflict`` (-0.4): both carry an identifier of the same strong kind (INN,
  OGRN, IMO, LEI, BIC) and share none of them: two registrations, two firms. Strong
  counter-evidence: it takes an exact name alone below the default threshold (0.6 <
  0.7), so "Zala Aero" with LLC CST's INN is no match for JSC Zala Aero, whose list entry
  carries another INN (it is a near miss, shown with ``--all``).
* ``country_mismatch`` (-0.2): both name countries and none agree.
* ``dob_year_disjoint`` (-0.15) / ``dob_day_disjoint`` (-0.25): persons' birth dates share no
  year / share years but no full date.
* ``org_form_mismatch`` (-0.05): both names carry a legal form and the forms' classes
  differ (``AD`` is a joint-stock company, ``d.o.o.`` a limited liability one).

Every feature that fired is returned with ``score``, ``detail``, ``query`` and
``candidate`` (yente's ``explanations``) and its ``weight``, so the total can be recomputed
from the parts.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from transship.resolve.compare import NameScore, compare_names
from transship.resolve.names import Kind, NameForm, analyse
from transship.resolve.parties import STRONG_IDENTIFIERS, Party

#: Feature -> weight (main features are positive, qualifiers negative).
WEIGHTS: dict[str, float] = {
    "name_match": 1.0,
    "identifier_match": 0.95,
    "weak_alias_match": 0.8,
    "identifier_conflict": -0.4,
    "country_mismatch": -0.2,
    "dob_year_disjoint": -0.15,
    "dob_day_disjoint": -0.25,
    "org_form_mismatch": -0.05,
}
MAIN_FEATURES = ("name_match", "identifier_match", "weak_alias_match")

#: yente's default threshold; see docs/validation.md ("Screening") for where it comes from.
DEFAULT_THRESHOLD = 0.7

#: Legal-form classes too loose to contradict another (``Company``, ``Co.``).
_LOOSE_FORMS = frozenset({"CORP"})


@dataclass(slots=True)
class Feature:
    """One feature's result: yente's ``FtResult`` plus the weight it enters the score with.

    A name feature keeps its :class:`~transship.resolve.compare.NameScore` and writes its
    detail (the alignment) only when asked: most scored pairs are never shown.
    """

    score: float
    text: str | None
    query: str | None = None
    candidate: str | None = None
    weight: float = 0.0
    names: NameScore | None = None

    @property
    def detail(self) -> str | None:
        if self.text is None and self.names is not None:
            self.text = self.names.detail
        return self.text

    def to_dict(self) -> dict[str, Any]:
        return {
            "score": round(self.score, 4),
            "detail": self.detail,
            "query": self.query,
            "candidate": self.candidate,
            "weight": self.weight,
        }


@dataclass(slots=True)
class MatchResult:
    """A query-candidate score and the features it is made of."""

    score: float
    explanations: dict[str, Feature]

    @property
    def features(self) -> dict[str, float]:
        """yente's (deprecated) ``features``: feature -> score."""
        return {k: round(v.score, 4) for k, v in self.explanations.items()}

    def detached(self) -> MatchResult:
        """The same result with each feature's detail written out and the name alignment
        dropped: small to send from a worker process, and reads the same."""
        return MatchResult(
            self.score,
            {
                k: Feature(f.score, f.detail, f.query, f.candidate, f.weight)
                for k, f in self.explanations.items()
            },
        )


def compare_kind(a: Kind, b: Kind) -> Kind:
    """The kind two names are compared as: a person if either is one, else an org."""
    if a == "PER" or b == "PER":
        return "PER"
    if a == "OBJ" or b == "OBJ":
        return "OBJ"
    if a == "ORG" or b == "ORG":
        return "ORG"
    return "ENT"


@lru_cache(maxsize=256)
def schemata_match(query_schema: str, candidate_schema: str) -> bool:
    """Can entities of these schemata be the same thing? (FtM's ``Schema.can_match``)."""
    from followthemoney import model

    q = model.get(query_schema)
    c = model.get(candidate_schema)
    if q is None or c is None:
        return False
    return bool(q.can_match(c))


def party_names(party: Party) -> tuple[NameForm, ...]:
    """The party's names analysed as its kind (cached per text by :func:`analyse`)."""
    kind = party.kind
    return tuple(analyse(n, kind) for n in party.names)


def best_name(
    query_names: tuple[NameForm, ...], candidate_names: tuple[NameForm, ...]
) -> NameScore | None:
    """The best-scoring pair of names."""
    best: NameScore | None = None
    for q in query_names:
        for c in candidate_names:
            s = compare_names(q, c)
            if best is None or s.score > best.score:
                best = s
                if s.score >= 1.0:
                    return best
    return best


def _years(dates: tuple[str, ...]) -> set[str]:
    return {d[:4] for d in dates if len(d) >= 4 and d[:4].isdigit()}


def _days(dates: tuple[str, ...]) -> set[str]:
    return {d[:10] for d in dates if len(d) >= 10}


def score_pair(
    query: Party,
    candidate: Party,
    query_names: tuple[NameForm, ...] | None = None,
    candidate_names: tuple[NameForm, ...] | None = None,
    best: NameScore | None = None,
) -> MatchResult:
    """Score ``query`` against ``candidate`` (a list entry) with every feature explained.

    ``query_names``/``candidate_names`` are the parties' analysed names when the caller
    already has them (the screening index keeps the list's); ``best`` the best pair of
    them (:func:`best_name`) when the caller has already compared them.
    """
    ex: dict[str, Feature] = {}
    if not schemata_match(query.schema, candidate.schema):
        return MatchResult(0.0, ex)
    if query_names is None:
        query_names = party_names(query)
    if candidate_names is None:
        candidate_names = party_names(candidate)

    if best is None:
        best = best_name(query_names, candidate_names)
    if best is not None and best.score > 0:
        ex["name_match"] = Feature(
            best.score,
            None,
            best.query.original,
            best.candidate.original,
            WEIGHTS["name_match"],
            best,
        )
    _identifiers(query, candidate, ex)
    _weak_aliases(query, candidate, query_names, candidate_names, ex)
    main = max((ex[f].score * ex[f].weight for f in MAIN_FEATURES if f in ex), default=0.0)
    if main <= 0:
        return MatchResult(0.0, ex)
    _qualifiers(query, candidate, best, ex)
    score = main + sum(f.score * f.weight for k, f in ex.items() if k not in MAIN_FEATURES)
    return MatchResult(min(1.0, max(0.0, score)), ex)


def _identifiers(query: Party, candidate: Party, ex: dict[str, Feature]) -> None:
    conflicts: list[str] = []
    for kind, values in query.identifiers.items():
        other = candidate.identifiers.get(kind)
        if not other:
            continue
        shared = values & other
        if shared:
            value = sorted(shared)[0]
            ex["identifier_match"] = Feature(
                1.0,
                f"same {kind.upper()} {value}",
                value,
                value,
                WEIGHTS["identifier_match"],
            )
        elif kind in STRONG_IDENTIFIERS:
            conflicts.append(kind)
    if "identifier_match" not in ex:
        # one number filed under two properties (an INN as ``registrationNumber`` on one
        # side, as ``innCode`` on the other): FtM gives both one type, ``identifier``
        cross = _cross_kind(query.identifiers, candidate.identifiers)
        if cross is not None:
            value, qk, ck = cross
            ex["identifier_match"] = Feature(
                1.0,
                f"same number {value} ({qk.upper()} / {ck.upper()})",
                value,
                value,
                WEIGHTS["identifier_match"],
            )
    if conflicts and "identifier_match" not in ex:
        kind = conflicts[0]
        q = sorted(query.identifiers[kind])[0]
        c = sorted(candidate.identifiers[kind])[0]
        ex["identifier_conflict"] = Feature(
            1.0,
            f"different {kind.upper()}: {q} vs {c}",
            q,
            c,
            WEIGHTS["identifier_conflict"],
        )


#: Shortest value that may match across identifier kinds (shorter ones are too often
#: another register's number).
CROSS_KIND_MIN = 6


def _cross_kind(
    q: dict[str, frozenset[str]], c: dict[str, frozenset[str]]
) -> tuple[str, str, str] | None:
    if not q or not c:
        return None
    where = {v: k for k, vs in sorted(c.items()) for v in vs if len(v) >= CROSS_KIND_MIN}
    for kind, values in sorted(q.items()):
        for v in sorted(values):
            if v in where:
                return v, kind, where[v]
    return None


def _weak_aliases(
    query: Party,
    candidate: Party,
    query_names: tuple[NameForm, ...],
    candidate_names: tuple[NameForm, ...],
    ex: dict[str, Feature],
) -> None:
    if not query.weak_aliases and not candidate.weak_aliases:
        return
    kind = compare_kind(query.kind, candidate.kind)
    pairs = [(analyse(w, kind), c) for w in query.weak_aliases for c in candidate_names] + [
        (q, analyse(w, kind)) for w in candidate.weak_aliases for q in query_names
    ]
    for q, c in pairs:
        if q.tokens and q.tokens == c.tokens:
            ex["weak_alias_match"] = Feature(
                1.0,
                f"weak alias {q.comparable!r} written the same",
                q.original,
                c.original,
                WEIGHTS["weak_alias_match"],
            )
            return


def _qualifiers(
    query: Party, candidate: Party, best: NameScore | None, ex: dict[str, Feature]
) -> None:
    if query.countries and candidate.countries and not (query.countries & candidate.countries):
        q = ", ".join(sorted(query.countries))
        c = ", ".join(sorted(candidate.countries))
        ex["country_mismatch"] = Feature(
            1.0, f"no country in common ({q} vs {c})", q, c, WEIGHTS["country_mismatch"]
        )
    if query.birth_dates and candidate.birth_dates:
        qy, cy = _years(query.birth_dates), _years(candidate.birth_dates)
        q = ", ".join(query.birth_dates)
        c = ", ".join(candidate.birth_dates)
        if qy and cy and not (qy & cy):
            ex["dob_year_disjoint"] = Feature(
                1.0, f"birth years differ ({q} vs {c})", q, c, WEIGHTS["dob_year_disjoint"]
            )
        else:
            qd, cd = _days(query.birth_dates), _days(candidate.birth_dates)
            if qd and cd and not (qd & cd):
                ex["dob_day_disjoint"] = Feature(
                    1.0, f"birth dates differ ({q} vs {c})", q, c, WEIGHTS["dob_day_disjoint"]
                )
    if best is not None:
        qf = set(best.query.legal) - _LOOSE_FORMS
        cf = set(best.candidate.legal) - _LOOSE_FORMS
        if qf and cf and not (qf & cf):
            q = " ".join(best.query.legal_text)
            c = " ".join(best.candidate.legal_text)
            ex["org_form_mismatch"] = Feature(
                1.0,
                f"legal forms differ: {q} ({'/'.join(sorted(qf))}) vs {c} ({'/'.join(sorted(cf))})",
                q,
                c,
                WEIGHTS["org_form_mismatch"],
            )
