"""How alike two names are, token by token, with the alignment that says why.

The score is a weighted share of the two names that the alignment explains:

* tokens are paired one to one, best pairs first (word order never matters: ``PUTIN,
  Vladimir`` = ``Vladimir Putin``); a pair scores 1.0 when literally equal, 0.95 when only
  the romanisation differs (equal :func:`~transship.resolve.names.skeleton`), 0.9 for an
  initial against a name it starts (``J`` / ``John``), and ``0.95 * (1 - d/len)`` for a
  typo within an edit budget that grows with the token's length (one edit up to 4 letters,
  two up to 8, three beyond); two tokens further apart than the budget are not a pair;
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
  boundary: ``AREFULLAHA REF`` / ``AREFULLAH AREF``), and the better of the two scores is
  kept;
* numbers must agree (``Zavod 9`` is not ``Zavod 12``): unpaired numbers on both sides
  multiply the score by 0.7.

Levenshtein distances come from rigour's Rust core (``rigour._core.raw_levenshtein``).
"""

from __future__ import annotations

from dataclasses import dataclass

from rigour._core import raw_levenshtein

from transship.resolve.names import NameForm

#: Score of a token pair that differs only by romanisation (equal skeletons).
SIM_TRANSLIT = 0.95
#: Score of an initial against a name it starts.
SIM_INITIAL = 0.9
#: Typos within the edit budget score ``SIM_TYPO * (1 - d / len)``.
SIM_TYPO = 0.95
#: Pairs below this are not pairs (their tokens stay unexplained).
MIN_PAIR = 0.5
#: Weight of a one-sided extra token (query side, list side) for organisations ...
EXTRA_QUERY_ORG = 0.6
EXTRA_RESULT_ORG = 0.5
#: ... and for persons (lists carry patronymics and middle names that queries omit).
EXTRA_QUERY_PER = 0.7
EXTRA_RESULT_PER = 0.35
#: Factor on the score when both names hold numbers that do not pair.
NUMBER_MISMATCH = 0.7
#: Whole-string comparison counts from this similarity up, times this factor.
WHOLE_MIN = 0.85
WHOLE_FACTOR = 0.95


def edit_budget(length: int) -> int:
    """Edits allowed between two tokens of this (longer) length."""
    if length <= 4:
        return 1
    if length <= 8:
        return 2
    return 3


def _length_factor(skel: str) -> float:
    """Short tokens identify less (``Un``, ``Ko``): 0.75 for two letters, 1.0 from four."""
    n = len(skel)
    if n >= 4 or n <= 1:
        return 1.0
    return 0.5 + n / 8


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


@dataclass(frozen=True, slots=True)
class NameScore:
    """The similarity of two names and its parts."""

    score: float
    query: NameForm
    candidate: NameForm
    pairs: tuple[TokenPair, ...]
    #: ``token`` (the alignment), ``whole`` (the whole-string comparison) or ``none``.
    method: str
    notes: tuple[str, ...] = ()

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
    qd, cd = qt.isdigit(), ct.isdigit()
    if qd or cd:
        return 0.0, "number"
    if len(qt) == 1 or len(ct) == 1:
        if qt[0] == ct[0] and (len(qt) > 1 or len(ct) > 1):
            return SIM_INITIAL, "initial"
        return 0.0, "initial"
    length = max(len(qs), len(cs))
    if abs(len(qs) - len(cs)) > edit_budget(length):
        return 0.0, "typo"
    d = raw_levenshtein(qs, cs)
    if d > edit_budget(length):
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
    """Score the query name ``q`` against the list name ``c`` (0..1) with its alignment."""
    if not q.tokens or not c.tokens:
        return NameScore(0.0, q, c, (), "none")
    if q.tokens == c.tokens:
        same = tuple(
            TokenPair((t,), (t,), "literal", 1.0, w)
            for t, w in zip(q.tokens, q.weights, strict=True)
        )
        return NameScore(1.0, q, c, same, "token")
    nq, nc = len(q.tokens), len(c.tokens)
    cand: list[tuple[float, int, int, str]] = []
    for i in range(nq):
        qt, qs = q.tokens[i], q.skeletons[i]
        for j in range(nc):
            sim, how = token_similarity(qt, qs, c.tokens[j], c.skeletons[j])
            if sim >= MIN_PAIR:
                cand.append((sim, i, j, how))
    cand.sort(key=lambda x: (-x[0], x[1], x[2]))
    q_used = [False] * nq
    c_used = [False] * nc
    pairs: list[TokenPair] = []
    num = 0.0
    den = 0.0
    for sim, i, j, how in cand:
        if q_used[i] or c_used[j]:
            continue
        q_used[i] = c_used[j] = True
        w = (
            q.weights[i] * _length_factor(q.skeletons[i])
            + c.weights[j] * _length_factor(c.skeletons[j])
        ) / 2
        if how == "initial":
            w = min(q.weights[i], c.weights[j]) if min(q.weights[i], c.weights[j]) < 1 else w
        pairs.append(TokenPair((q.tokens[i],), (c.tokens[j],), how, sim, w))
        num += w * sim
        den += w
    q_free = [i for i in range(nq) if not q_used[i]]
    c_free = [j for j in range(nc) if not c_used[j]]
    if q_free and c_free:
        for qi, cj, sim in _join_pairs(q, c, q_free, c_free):
            w = sum(q.weights[i] for i in qi) / len(qi)
            pairs.append(
                TokenPair(
                    tuple(q.tokens[i] for i in qi), tuple(c.tokens[j] for j in cj), "joined", sim, w
                )
            )
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
    for i in q_free:
        w = q.weights[i] * _length_factor(q.skeletons[i]) * eq
        pairs.append(TokenPair((q.tokens[i],), (), "extra", 0.0, w))
        den += w
    for j in c_free:
        w = c.weights[j] * _length_factor(c.skeletons[j]) * er
        pairs.append(TokenPair((), (c.tokens[j],), "extra", 0.0, w))
        den += w
    score = num / den if den > 0 else 0.0
    notes: list[str] = []
    if any(q.tokens[i].isdigit() for i in q_free) and any(c.tokens[j].isdigit() for j in c_free):
        score *= NUMBER_MISMATCH
        notes.append(f"numbers differ (x{NUMBER_MISMATCH})")
    method = "token"
    if score < WHOLE_FACTOR and (nq > 1 or nc > 1) and q.key != c.key:
        whole = _whole(q, c)
        if whole > score and not notes:
            return NameScore(whole, q, c, tuple(pairs), "whole")
    return NameScore(score, q, c, tuple(pairs), method, tuple(notes))


def _whole(q: NameForm, c: NameForm) -> float:
    """The joined skeletons compared as one string (typos across a token boundary)."""
    a = "".join(q.skeletons)
    b = "".join(c.skeletons)
    length = max(len(a), len(b))
    if length == 0 or abs(len(a) - len(b)) > length * (1 - WHOLE_MIN):
        return 0.0
    sim = 1.0 - raw_levenshtein(a, b) / length
    return sim * WHOLE_FACTOR if sim >= WHOLE_MIN else 0.0
