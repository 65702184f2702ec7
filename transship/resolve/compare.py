"""How alike two names are, token by token, with the alignment that says why.

The score is a weighted share of the two names that the alignment explains:

* tokens are paired one to one, best pairs first (word order never matters: ``PUTIN,
  Vladimir`` = ``Vladimir Putin``); a pair scores 1.0 when literally equal, 0.95 when only
  the romanisation differs (equal :func:`~transship.resolve.spelling.skeleton`), 0.9 for an
  initial against a name it starts (``J`` / ``John``), and ``0.95 * (1 - d/len)`` for a
  typo within an edit budget that grows with the token's length (none up to three letters,
  one up to six, two up to nine, three beyond; one less when the first letters differ; an
  adjacent transposition is one edit; a consonant exchanged for one of another sound,
  ``Gašić``/``Gajić``, makes a short token another name); tokens further apart are not a
  pair;
* a token split or joined (``Abdul Rahman`` / ``Abdulrahman``) pairs with the two tokens
  it joins;
* unpaired tokens count against the score, by their weight (generic firm words, places
  and particles weigh less) and by whether the difference is *one-sided* or *two-sided*.
  ``Krušik a.d. Valjevo`` against ``Krušik AD`` leaves only a place on one side: the same
  firm, qualified (a one-sided extra weighs 0.6 on the query's side, 0.5 on the list's
  side; for persons 0.7 and 0.35, since lists carry patronymics and middle names that
  queries omit). ``Sloboda Čačak`` against ``Sloboda Trgovina`` leaves words on both
  sides: different firms that share a word, and both leftovers count in full;
* the concatenated skeletons are also compared as whole strings (a typo across a token
  boundary: ``AREFULLAHA REF`` / ``AREFULLAH AREF``; at most two edits), and the better of
  the two scores is kept;
* numbers must agree (``Zavod 9`` is not ``Zavod 12``): unpaired numbers on both sides
  multiply the score by 0.7.

Levenshtein distances come from rigour's Rust core (``rigour._core.raw_levenshtein``).
"""

from __future__ import annotations

from dataclasses import dataclass

from rigour._core import raw_levenshtein

from transship.resolve.names import CONCEPTS, NameForm
from transship.resolve.spelling import respell

#: Score of a token pair that differs only by romanisation (equal skeletons).
SIM_TRANSLIT = 0.95
#: Score of two generic words of one concept in two languages (``zavod``/``plant``).
SIM_SYNONYM = 0.9
#: Score of an initial against a name it starts.
SIM_INITIAL = 0.9
#: Typos within the edit budget score ``SIM_TYPO * (1 - d / len)``.
SIM_TYPO = 0.95
#: Pairs below this are not pairs (their tokens stay unexplained).
MIN_PAIR = 0.5
#: Weight of a one-sided extra token (query side, list side) for organisations ...
EXTRA_QUERY_ORG = 0.6
EXTRA_RESULT_ORG = 0.5
#: ... and for persons: a patronymic (``Vladimirovich``, ``Ivanovna``) that one side omits
#: weighs little; another given name (``Aisha`` Muammar Qadhafi against her father Muammar
#: Qadhafi) weighs more, on the query's side most.
EXTRA_QUERY_PER = 0.85
EXTRA_RESULT_PER = 0.6
EXTRA_PATRONYMIC = 0.3
#: Factor on a person's name score when one name puts another given name in front of the
#: other's (``Raghad Saddam Hussein`` / ``Saddam Hussein``: his daughter); see
#: :func:`_other_given_name`. Tokens lighter than this (particles, initials) do not count.
GIVEN_NAME_FACTOR = 0.75
GIVEN_NAME_MIN_WEIGHT = 0.75
#: Factor on the score when both names hold numbers that do not pair.
NUMBER_MISMATCH = 0.7
#: Whole-string comparison counts from this similarity up and at most this many edits (a
#: typo across a token boundary, never a whole different token), times this factor.
WHOLE_MIN = 0.85
WHOLE_MAX_EDITS = 2
WHOLE_FACTOR = 0.95


#: Endings of East Slavic and Turkic patronymics (not Serbian ``-ović`` family names).
_PATRONYMIC_ENDINGS = (
    "ovich",
    "evich",
    "ovna",
    "evna",
    "ichna",
    "ovych",
    "evych",
    "ivna",
    "ovitj",
    "evitj",
    "avich",
    "ogly",
    "oglu",
    "kyzy",
)


def is_patronymic(token: str) -> bool:
    """Russian, Ukrainian, Belarusian, Turkic patronymics (``Vladimirovich``, ``Ivanovna``,
    ``Volodymyrivna``, ``Aliyevich``, ``Ali ogly``): what a list adds to a name."""
    return len(token) > 5 and token.endswith(_PATRONYMIC_ENDINGS)


def edit_budget(length: int) -> int:
    """Edits allowed between two tokens of this (longer) length: none up to three letters
    (``Ri``/``Li``, ``Cho``/``Choe`` are different names), one up to six (``Gebrev`` is not
    ``Gebov``), two up to nine, three beyond."""
    if length <= 3:
        return 0
    if length <= 6:
        return 1
    if length <= 9:
        return 2
    return 3


#: Letters that romanisations and spelling habits exchange (vowels; g/h; c/k/q; s/z; d/t;
#: b/p; v/f): exchanging them is a soft edit. Any other substitution is a hard one.
_SOFT_CLASSES = ("aeiouyj", "gh", "ckq", "sz", "dt", "bp", "vfw")
_SOFT: dict[str, int] = {ch: n for n, group in enumerate(_SOFT_CLASSES) for ch in group}


def _hard_substitutions(a: str, b: str) -> int:
    """Hard letter substitutions between equal-length skeletons whose only differences are
    substitutions (a transposition is not one)."""
    diff = [i for i in range(len(a)) if a[i] != b[i]]
    if len(diff) == 2 and diff[1] == diff[0] + 1 and a[diff[0]] == b[diff[1]]:
        return 0
    hard = 0
    for i in diff:
        x, y = _SOFT.get(a[i], -1 - ord(a[i])), _SOFT.get(b[i], -2 - ord(b[i]))
        if x != y:
            hard += 1
    return hard


def _transposed(a: str, b: str) -> bool:
    """Are ``a`` and ``b`` the same but for two adjacent letters swapped?"""
    if len(a) != len(b) or a == b:
        return False
    diff = [i for i in range(len(a)) if a[i] != b[i]]
    return (
        len(diff) == 2
        and diff[1] == diff[0] + 1
        and a[diff[0]] == b[diff[1]]
        and a[diff[1]] == b[diff[0]]
    )


def _swapped_head(a: str, b: str) -> bool:
    """``Emna``/``Mena``: the first two letters swapped."""
    return len(a) > 1 and len(b) > 1 and a[0] == b[1] and a[1] == b[0]


def _distance(a: str, b: str) -> int:
    """Levenshtein distance, with one adjacent transposition counted as one edit
    (``Awlijan``/``Walijan``): rigour's Rust Levenshtein, corrected for the one case."""
    d = raw_levenshtein(a, b)
    if d == 2 and len(a) == len(b):
        diff = [i for i in range(len(a)) if a[i] != b[i]]
        if (
            len(diff) == 2
            and diff[1] == diff[0] + 1
            and a[diff[0]] == b[diff[1]]
            and a[diff[1]] == b[diff[0]]
        ):
            return 1
    return d


@dataclass(frozen=True, slots=True)
class TokenPair:
    """One step of an alignment: query tokens, list tokens, how they matched, score."""

    query: tuple[str, ...]
    candidate: tuple[str, ...]
    how: str  # literal, translit, initial, typo, joined, extra
    score: float
    weight: float

    def describe(self) -> str:
        q = " ".join(self.query) or "-"
        c = " ".join(self.candidate) or "-"
        if self.how == "literal":
            return f"{q}={c}"
        if self.how == "extra":
            side = "query" if self.query else "list"
            return f"{q if self.query else c} (only in {side}, weight {self.weight:.2f})"
        return f"{q}~{c} ({self.how} {self.score:.2f})"


#: One alignment step: query token indexes, list token indexes, how, score, weight.
Step = tuple[tuple[int, ...], tuple[int, ...], str, float, float]


@dataclass(frozen=True, slots=True)
class NameScore:
    """The similarity of two names and its parts."""

    score: float
    query: NameForm
    candidate: NameForm
    steps: tuple[Step, ...]
    #: ``token`` (the alignment), ``whole`` (the whole-string comparison) or ``none``.
    method: str
    notes: tuple[str, ...] = ()

    @property
    def pairs(self) -> tuple[TokenPair, ...]:
        """The alignment, step by step (built when asked for: the hot path never needs it)."""
        q, c = self.query.tokens, self.candidate.tokens
        return tuple(
            TokenPair(tuple(q[i] for i in qi), tuple(c[j] for j in cj), how, sim, w)
            for qi, cj, how, sim, w in self.steps
        )

    @property
    def detail(self) -> str:
        """The alignment as one line, e.g. ``krusik=krusik, valjevo (only in query, ...)``."""
        if self.method == "whole":
            text = (
                f"whole name {self.query.key!r}~{self.candidate.key!r} "
                f"({self.score / WHOLE_FACTOR:.2f})"
            )
        else:
            text = ", ".join(p.describe() for p in self.pairs) or "no tokens in common"
        if self.notes:
            text += "; " + "; ".join(self.notes)
        return text


def token_similarity(qt: str, qs: str, ct: str, cs: str) -> tuple[float, str]:
    """Similarity of two tokens (ASCII ``qt``/``ct``, skeletons ``qs``/``cs``) and how."""
    if qt == ct:
        return 1.0, "literal"
    if qs == cs:
        return SIM_TRANSLIT, "translit"
    concept = CONCEPTS.get(qs)
    if concept is not None and concept == CONCEPTS.get(cs):
        return SIM_SYNONYM, "synonym"
    qd, cd = qt.isdigit(), ct.isdigit()
    if qd or cd:
        return 0.0, "number"
    if len(qt) == 1 or len(ct) == 1:
        if qt[0] == ct[0] and (len(qt) > 1 or len(ct) > 1):
            return SIM_INITIAL, "initial"
        return 0.0, "initial"
    if _transposed(qt, ct) and (len(qt) > 3 or qt[0] == ct[0]):
        # one adjacent transposition is one typing slip: counted on the written tokens, where
        # it may cross a digraph (``Lakahl``/``Lakhal``: the skeletons ``lacahl``/``lahal``
        # are two edits apart) and from three letters on (``Sko``/``Sok``, ``Adb``/``Abd``)
        return SIM_TYPO * (1.0 - 1.0 / len(qt)), "typo"
    length = max(len(qs), len(cs))
    budget = edit_budget(length)
    if abs(len(qs) - len(cs)) > budget:
        return 0.0, "typo"
    d = _distance(qs, cs)
    qr, cr = (qs, cs) if len(qs) == len(cs) else (respell(qt), respell(ct))
    if len(qr) == len(cr):
        hard = _hard_substitutions(qr, cr)
        if hard and length <= 8:
            # Gašić/Gajić, Ružić/Rudić, Chemezov/Chemerov: one consonant for another of
            # another sound is another name, not a typo or a romanisation
            return 0.0, "typo"
        d += hard
    if qs[0] != cs[0] and not _swapped_head(qs, cs):
        # names that differ in their first letter are mostly other names (Yong/Song,
        # Ayman/Salman): one edit less is allowed
        budget -= 1
    if d > budget:
        return 0.0, "typo"
    return SIM_TYPO * (1.0 - d / length), "typo"


def _join_pairs(
    q: NameForm, c: NameForm, q_free: list[int], c_free: list[int]
) -> list[tuple[list[int], list[int], float]]:
    """Unpaired tokens that are another side's two adjacent tokens written as one."""
    found: list[tuple[list[int], list[int], float]] = []
    for one, two, flip in ((q, c, False), (c, q, True)):
        one_free = c_free if flip else q_free
        two_free = q_free if flip else c_free
        two_set = set(two_free)
        for i in list(one_free):
            target = one.skeletons[i]
            for j in two_free:
                if j + 1 not in two_set:
                    continue
                joined = two.skeletons[j] + two.skeletons[j + 1]
                if abs(len(joined) - len(target)) > 1:
                    continue
                d = raw_levenshtein(joined, target)
                if d <= 1:
                    sim = SIM_TRANSLIT * (1.0 - d / max(len(joined), len(target)))
                    pair = ([i], [j, j + 1]) if not flip else ([j, j + 1], [i])
                    found.append((pair[0], pair[1], sim))
                    one_free.remove(i)
                    two_free.remove(j)
                    two_free.remove(j + 1)
                    two_set.discard(j)
                    two_set.discard(j + 1)
                    break
    return found


def compare_names(q: NameForm, c: NameForm) -> NameScore:
    """Score the query name ``q`` against the list name ``c`` (0..1) with its alignment.

    Tokens pair in three passes, best kinds first (the greedy order of the module
    docstring): literal equality, then equal skeletons (romanisation), then every remaining
    pair by :func:`token_similarity`, best first. The first two passes are plain string
    comparisons; only the leftovers pay for distances.
    """
    qt, ct = q.tokens, c.tokens
    if not qt or not ct:
        return NameScore(0.0, q, c, (), "none")
    if qt == ct:
        same = tuple(((i,), (i,), "literal", 1.0, w) for i, w in enumerate(q.weights))
        return NameScore(1.0, q, c, same, "token")
    nq, nc = len(qt), len(ct)
    qw, cw = q.weights, c.weights
    q_used = [False] * nq
    c_used = [False] * nc
    steps: list[Step] = []
    num = 0.0
    den = 0.0
    shift = nc - nq  # names share their ends (family names) more than their starts
    for tokens_q, tokens_c, how, sim in (
        (qt, ct, "literal", 1.0),
        (q.skeletons, c.skeletons, "translit", SIM_TRANSLIT),
    ):
        found: list[Step] = []
        for i in range(nq - 1, -1, -1):  # from the end, as the shift counts
            if q_used[i]:
                continue
            a = tokens_q[i]
            best_j = -1
            for j in range(nc):
                if not c_used[j] and tokens_c[j] == a:
                    # a token written twice on the other side (``Ibrahim Sabawi Ibrahim``)
                    # pairs with the occurrence in its own place, counted from the end
                    if best_j < 0 or abs(j - i - shift) < abs(best_j - i - shift):
                        best_j = j
            if best_j >= 0:
                j = best_j
                q_used[i] = c_used[j] = True
                w = (qw[i] + cw[j]) / 2
                found.append(((i,), (j,), how, sim, w))
                num += w * sim
                den += w
        steps.extend(reversed(found))
    q_free = [i for i in range(nq) if not q_used[i]]
    c_free = [j for j in range(nc) if not c_used[j]]
    if q_free and c_free:
        cand: list[tuple[float, int, int, str]] = []
        for i in q_free:
            a, sa = qt[i], q.skeletons[i]
            for j in c_free:
                sim, how = token_similarity(a, sa, ct[j], c.skeletons[j])
                if sim >= MIN_PAIR:
                    cand.append((sim, i, j, how))
        if cand:
            cand.sort(key=lambda x: (-x[0], x[1], x[2]))
            for sim, i, j, how in cand:
                if q_used[i] or c_used[j]:
                    continue
                q_used[i] = c_used[j] = True
                w = (qw[i] + cw[j]) / 2
                if how == "initial":
                    w = min(qw[i], cw[j])
                steps.append(((i,), (j,), how, sim, w))
                num += w * sim
                den += w
            q_free = [i for i in q_free if not q_used[i]]
            c_free = [j for j in c_free if not c_used[j]]
        if q_free and c_free:
            for qi, cj, sim in _join_pairs(q, c, q_free, c_free):
                w = sum(qw[i] for i in qi) / len(qi)
                steps.append((tuple(qi), tuple(cj), "joined", sim, w))
                num += w * sim
                den += w
    two_sided = bool(q_free) and bool(c_free)
    per = q.kind == "PER" or c.kind == "PER"
    if two_sided:
        eq = er = 1.0
    elif per:
        eq, er = EXTRA_QUERY_PER, EXTRA_RESULT_PER
    else:
        eq, er = EXTRA_QUERY_ORG, EXTRA_RESULT_ORG
    patronymics = per and not two_sided
    for i in q_free:
        f = EXTRA_PATRONYMIC if patronymics and is_patronymic(qt[i]) else eq
        w = qw[i] * f
        steps.append(((i,), (), "extra", 0.0, w))
        den += w
    for j in c_free:
        f = EXTRA_PATRONYMIC if patronymics and is_patronymic(ct[j]) else er
        w = cw[j] * f
        steps.append(((), (j,), "extra", 0.0, w))
        den += w
    score = num / den if den > 0 else 0.0
    notes: tuple[str, ...] = ()
    if (
        q_free
        and c_free
        and any(qt[i].isdigit() for i in q_free)
        and any(ct[j].isdigit() for j in c_free)
    ):
        score *= NUMBER_MISMATCH
        notes = (f"numbers differ (x{NUMBER_MISMATCH})",)
    elif score < WHOLE_FACTOR and (nq > 1 or nc > 1) and q.key != c.key:
        whole = _whole(q, c)
        if whole > score:
            return NameScore(whole, q, c, tuple(steps), "whole")
    if per and (q_free or c_free):
        given = _other_given_name(q, c, steps)
        if given is not None:
            score *= GIVEN_NAME_FACTOR
            notes += (f"{given} (x{GIVEN_NAME_FACTOR})",)
    return NameScore(score, q, c, tuple(steps), "token", notes)


def _other_given_name(q: NameForm, c: NameForm, steps: list[Step]) -> str | None:
    """Does one person's name put another given name in front of the other's name?

    ``Raghad Saddam Hussein al-Tikriti`` is Saddam Hussein's daughter, ``Sirajuddin
    Jalaluddin Haqqani`` Jalaluddin Haqqani's son, ``Tarak ben Taher`` and ``Ali ben Taher``
    brothers: where names are built from a father's (``ibn``, patronymic chains) or a
    family's name, the rest of the name is shared and only the first, given name tells the
    people apart. The rule fires when the paired tokens keep their order on both sides (at
    least two pairs: an aligned chain, not a shuffled name) and one or both names start with
    unpaired tokens of full weight (not particles or initials) before the chain. A name
    written ``FAMILY, Given`` was put in its own order by
    :func:`~transship.resolve.names.analyse`; names in another order (``Zhukov Sergei``
    against ``Sergei Zhukov``) do not keep the pairs' order and are left alone."""
    paired = sorted((min(qi), min(cj)) for qi, cj, how, _, _ in steps if how != "extra")
    if len(paired) < 2:
        return None
    cjs = [j for _, j in paired]
    if any(b <= a for a, b in zip(cjs, cjs[1:], strict=False)):
        return None
    q0, c0 = paired[0][0], cjs[0]
    lead_q = [q.tokens[i] for i in range(q0) if q.weights[i] >= GIVEN_NAME_MIN_WEIGHT]
    lead_c = [c.tokens[j] for j in range(c0) if c.weights[j] >= GIVEN_NAME_MIN_WEIGHT]
    if lead_q and lead_c:
        return f"other given names in front ({' '.join(lead_q)} / {' '.join(lead_c)})"
    if lead_q or lead_c:
        side = "query" if lead_q else "list"
        return f"another given name in front ({' '.join(lead_q or lead_c)}, {side})"
    return None


def _boundary_shift(q: NameForm, c: NameForm) -> bool:
    """Do the names differ by where a token boundary falls (``Arefullaha Ref`` /
    ``Arefullah Aref``), or by one boundary more or less? Only then is comparing the whole
    strings more than comparing tokens again (``Kim Yong Chol`` / ``Kim Song Chol`` have
    the same boundaries and must be judged token by token)."""
    if abs(len(q.tokens) - len(c.tokens)) == 1:
        return True
    if len(q.tokens) != len(c.tokens):
        return False
    diffs = [len(a) - len(b) for a, b in zip(q.tokens, c.tokens, strict=True)]
    qs, cs = q.skeletons, c.skeletons
    for i in range(len(diffs) - 1):
        if diffs[i] != 0 and diffs[i] == -diffs[i + 1]:
            # the letters moved across the boundary: the two tokens joined are (nearly) the
            # same on both sides (``Uday Sadddam`` / ``Qusay Saddam`` only differ in length)
            if raw_levenshtein(qs[i] + qs[i + 1], cs[i] + cs[i + 1]) <= 1:
                return True
    return False


def _whole(q: NameForm, c: NameForm) -> float:
    """The joined skeletons compared as one string (typos across a token boundary)."""
    if not _boundary_shift(q, c):
        return 0.0
    a = "".join(q.skeletons)
    b = "".join(c.skeletons)
    length = max(len(a), len(b))
    if length == 0 or abs(len(a) - len(b)) > length * (1 - WHOLE_MIN):
        return 0.0
    d = _distance(a, b)
    if d > WHOLE_MAX_EDITS:
        return 0.0
    sim = 1.0 - d / length
    return sim * WHOLE_FACTOR if sim >= WHOLE_MIN else 0.0
