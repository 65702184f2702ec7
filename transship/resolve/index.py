"""Blocking: which list entries a query is compared with, without comparing it with all.

Screening 10,000 names against a million list entries cannot score every pair (10^10
comparisons). :class:`TokenIndex` compares a query only with the entries whose tokens are
near its own and whose score could still reach the threshold (its docstring has the
design). Recall against all-pairs scoring is measured in ``benchmarks/screen.py``. (The
earlier index of rarity-weighted keys and a sparse product, ``KeyIndex``, which no command
called any more, was removed; docs/resolve.md says why it was replaced.)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from transship.resolve import index_kernel, neighbour_kernel
from transship.resolve.names import NameForm

# -- token-neighbour index with a bound of the matcher's score --------------------------------

#: The matcher's smallest one-sided extra factors (transship.resolve.compare): a list-side
#: extra of a firm weighs 0.5, of a person 0.6, a patronymic 0.3; a query-side one 0.6 and
#: 0.85. The bound below uses them so that it never falls under the score it bounds.
_XF_QUERY = {"PER": 0.85, "ORG": 0.6, "ENT": 0.6, "OBJ": 0.6}
_XF_LIST = {"PER": 0.6, "ORG": 0.5, "ENT": 0.5, "OBJ": 0.5}
_XF_PATRONYMIC = 0.3
#: Tokens whose neighbourhood is held by more list names than this are not read for
#: candidates unless needed: names made of common tokens meet through their pair keys.
COMMON_DF = 2000
#: Candidates per query name scored in full, at most (best bound first); ``None``: every
#: candidate whose bound reaches the threshold. A cap loses matches: a query such as
#: ``Taizullah Saiodova`` (a common given and family name) matched 181 entries of the
#: benchmark's 200,000-entry list at 0.77, and a cap of 20 returned 20 of them (recall of
#: all pairs 291/473 on 400 sampled queries; 472/473 without the cap, same CPU time).
TOKEN_TOP_K: int | None = None
#: A candidate is scored in full when its bound reaches the threshold less this margin (the
#: bound ignores joined tokens and whole-name typos, which can lift a score a little).
BOUND_MARGIN = 0.05
#: Distinct deletion keys per bucket of the key table, on average (see
#: ``neighbour_kernel.neighbours``).
KEYS_PER_BUCKET = 8
#: Query token skeletons whose neighbours are kept between batches, at most.
NEIGHBOUR_CACHE = 200_000


def _unique(x: np.ndarray) -> np.ndarray:
    """``_unique(x)`` for int64 keys, by sorting: numpy 2's hash-based unique took 130 ms
    for 200,000 keys spread over 10^12 where a sort takes 3 ms (the blocking's candidate
    pairs, ``query row * list size + list row``)."""
    s = np.sort(x)
    if len(s) < 2:
        return s
    keep = np.empty(len(s), dtype=bool)
    keep[0] = True
    np.not_equal(s[1:], s[:-1], out=keep[1:])
    return s[keep]


def _expand(starts: np.ndarray, ends: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For ranges ``[starts[k], ends[k])``: (range number, position) of every element."""
    lengths = (ends - starts).astype(np.int64)
    total = int(lengths.sum())
    if total == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    owner = np.repeat(np.arange(len(starts), dtype=np.int64), lengths)
    offsets = np.cumsum(lengths) - lengths
    pos = (
        np.arange(total, dtype=np.int64)
        - np.repeat(offsets, lengths)
        + np.repeat(starts.astype(np.int64), lengths)
    )
    return owner, pos


@dataclass(slots=True)
class Bounded:
    """Candidate name rows for each query name row, with the bound of their score."""

    #: query row -> candidate name rows (best bound first)
    rows: list[np.ndarray]
    #: query row -> the bound of each candidate's name score (same order)
    bounds: list[np.ndarray]


class TokenIndex:
    """Blocking that follows the matcher: token neighbours, a read order by rarity, and an
    upper bound of the name score computed for all candidates at once (numpy).

    * **Vocabulary**: the list's token skeletons (romanisation-blind, so ``Крушик``,
      ``Krušik`` and ``Krusik`` are one token), with the names holding each (postings).
    * **Neighbours** of a query token: vocabulary tokens sharing one of its one-letter
      deletions (SymSpell: one insertion, deletion, substitution or transposition apart),
      kept when the matcher's edit budget allows the pair (none up to three letters but a
      transposition, one up to six, one less when the first letters differ).
    * **Read order** (prefix filtering): a query's tokens are read rarest first, until a
      name holding none of the read tokens could not reach the threshold any more (its
      score would be at most ``unread / (unread + extra weight of the read tokens)``, with
      the matcher's smallest extra factors). Tokens held by more than :data:`COMMON_DF`
      names are not read; names made only of common tokens (``Mohammad Ali``) are found
      through **pair keys**: each pair of a list name's common tokens is a key.
    * **Bound**: for every candidate, the share of both names the token neighbours could
      explain, with unpaired tokens counted as the matcher counts them (in full when both
      sides have some, with the smallest one-sided factors otherwise). Candidates whose
      bound reaches the threshold (less :data:`BOUND_MARGIN`) are scored in full, best
      bound first (all of them unless ``top_k`` caps them).

    What the bound does not see (a token split in two, ``Abdul Rahman`` / ``Abdulrahman``;
    a typo across a token boundary; two edits in one token) can be missed; recall against
    all-pairs scoring is measured in ``benchmarks/screen.py``.
    """

    def __init__(
        self,
        names: Sequence[NameForm],
        top_k: int | None = TOKEN_TOP_K,
        common_df: int = COMMON_DF,
        precompute: bool = True,
    ) -> None:
        from transship.resolve.compare import is_patronymic

        self.top_k = top_k
        self.common_df = common_df
        vocab: dict[str, int] = {}
        row_ptr = [0]
        row_tok: list[int] = []
        row_w: list[float] = []
        row_xw: list[float] = []
        for form in names:
            xf = _XF_LIST.get(form.kind, 0.5)
            per = form.kind == "PER"
            for t, s, w in zip(form.tokens, form.skeletons, form.weights, strict=True):
                v = vocab.get(s)
                if v is None:
                    v = vocab[s] = len(vocab)
                row_tok.append(v)
                row_w.append(w)
                f = _XF_PATRONYMIC if per and is_patronymic(t) else min(xf, _XF_LIST["PER"])
                row_xw.append(w * f)
            row_ptr.append(len(row_tok))
        n = len(names)
        self.size = n
        self.vocab = vocab
        self.row_ptr = np.asarray(row_ptr, dtype=np.int64)
        self.row_tok = np.asarray(row_tok, dtype=np.int64)
        lengths = np.diff(self.row_ptr)
        row_of = np.repeat(np.arange(n, dtype=np.int64), lengths)
        # each list token's weight and extra weight side by side, each list name's totals
        # side by side (the bound reads them together: index_kernel)
        self.row_wx = np.stack(
            [np.asarray(row_w, dtype=np.float32), np.asarray(row_xw, dtype=np.float32)], axis=1
        )
        row_tot = np.stack(
            [
                np.bincount(row_of, weights=self.row_wx[:, k], minlength=n).astype(np.float32)
                for k in (0, 1)
            ],
            axis=1,
        )
        # and a list name's count, totals, tokens and weights in one 64-byte slot: the
        # bound reads one memory line a candidate (index_kernel.block)
        self.slots = index_kernel.slots(self.row_ptr, self.row_tok, self.row_wx, row_tot)
        # postings: token -> rows (ascending), each with a copy of its row's slot: the
        # bound reads the postings in order instead of one slot at random a candidate
        order = np.argsort(self.row_tok, kind="stable")
        self.tok_rows = row_of[order]
        self.post_slots = self.slots[self.tok_rows]
        self.df = np.bincount(self.row_tok, minlength=len(vocab)).astype(np.int64)
        self.tok_ptr = np.concatenate([[0], np.cumsum(self.df)]).astype(np.int64)
        # deletion keys of the vocabulary (neighbour_kernel: hashed, sorted); each
        # distinct key once, pointing at its run of tokens, and where each bucket of keys
        # (by the top bits of the hash) starts
        self.voc_cp, self.voc_ptr = neighbour_kernel.encode(list(vocab))
        h, self.del_tok = neighbour_kernel.vocabulary_keys(self.voc_cp, self.voc_ptr)
        first = np.flatnonzero(np.concatenate([[True], h[1:] != h[:-1]])) if len(h) else h
        self.key_hash = h[first]
        self.key_ptr = np.append(first, len(h)).astype(np.int64)
        nk = len(self.key_hash)
        self.key_bits = max(1, (max(1, nk // KEYS_PER_BUCKET)).bit_length())
        bucket = (self.key_hash >> np.uint64(64 - self.key_bits)).astype(np.int64)
        self.bucket_ptr = np.concatenate(
            [[0], np.cumsum(np.bincount(bucket, minlength=1 << self.key_bits))]
        ).astype(np.int64)
        # pair keys of common tokens
        common = self.df > common_df
        pk: list[int] = []
        pr: list[int] = []
        nv = len(vocab)
        rt = self.row_tok
        is_common = common[rt] if len(rt) else np.zeros(0, dtype=bool)
        rows_with = np.bincount(row_of[is_common], minlength=n) if len(rt) else np.zeros(n)
        for r in np.nonzero(rows_with >= 2)[0].tolist():
            toks = sorted({int(t) for t in rt[row_ptr[r] : row_ptr[r + 1]] if common[t]})
            for i in range(len(toks)):
                for j in range(i + 1, len(toks)):
                    pk.append(toks[i] * nv + toks[j])
                    pr.append(r)
        pkeys = np.asarray(pk, dtype=np.int64)
        o = np.argsort(pkeys, kind="stable")
        self.pair_keys = pkeys[o]
        self.pair_rows = np.asarray(pr, dtype=np.int64)[o]
        self._cache: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        self.nb_ptr: np.ndarray | None = None
        self.nb_tok = np.zeros(0, dtype=np.int64)
        self.nb_sim = np.zeros(0, dtype=np.float32)
        self._seen = np.full(len(vocab), -1, dtype=np.int64)
        if precompute:
            self._precompute()
        self._compile()

    def _compile(self) -> None:
        """Compiles the blocking's kernels (or loads them from numba's cache) now, with the
        index's own array types: paid once, while the index is built and before any fork,
        not by the first query."""
        self._neighbours(["warm"])
        z = np.zeros(0, dtype=np.int64)
        f = np.zeros(0, dtype=np.float64)
        one = np.zeros(1, dtype=np.int64)
        self._run_block(one, f, f, f, z, one, z, np.zeros(0, dtype=np.float32), 0.5)

    def _run_block(
        self,
        q_ptr: np.ndarray,
        g_w: np.ndarray,
        g_xw: np.ndarray,
        g_df: np.ndarray,
        own_tok: np.ndarray,
        nb_ptr: np.ndarray,
        nb_tok: np.ndarray,
        nb_sim: np.ndarray,
        t: float,
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """:func:`index_kernel.block` on the query arrays given, with the index's arrays
        and scratch."""
        inq, head = self._scratch()
        return index_kernel.block(
            q_ptr,
            g_w,
            g_xw,
            g_df,
            own_tok,
            nb_ptr,
            nb_tok,
            nb_sim,
            self.tok_ptr,
            self.tok_rows,
            self.row_ptr,
            self.row_tok,
            self.row_wx,
            self.slots.view(np.int32),
            self.slots.view(np.float32),
            self.post_slots.view(np.int32),
            self.post_slots.view(np.float32),
            self.pair_keys,
            self.pair_rows,
            float(self.common_df),
            t,
            inq,
            head,
        )

    def _precompute(self, chunk: int = 20_000) -> None:
        """The neighbours of every vocabulary token (a CSR graph): a query token the list
        already holds reads them instead of searching the deletion keys."""
        nv = len(self.vocab)
        toks: list[np.ndarray] = []
        sims: list[np.ndarray] = []
        counts = np.zeros(nv, dtype=np.int64)
        for start in range(0, nv, chunk):
            end = min(start + chunk, nv)
            qt, tok, sim = self._search(self.voc_cp, self.voc_ptr[start : end + 1])
            counts[start:end] = np.bincount(qt, minlength=end - start)
            toks.append(tok)
            sims.append(sim)
        self.nb_ptr = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
        self.nb_tok = np.concatenate(toks) if toks else np.zeros(0, dtype=np.int64)
        self.nb_sim = np.concatenate(sims) if sims else np.zeros(0, dtype=np.float32)

    def neighbours(self, skeletons: Sequence[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(query token number, vocabulary token, similarity estimate) for every vocabulary
        token the matcher could pair with each of ``skeletons``.

        A skeleton the list holds reads its neighbours from the precomputed graph; the
        others' are searched and kept (up to :data:`NEIGHBOUR_CACHE` skeletons)."""
        if self.nb_ptr is None:
            return self._searched(skeletons)
        own = np.fromiter(
            (self.vocab.get(s, -1) for s in skeletons), dtype=np.int64, count=len(skeletons)
        )
        known = own >= 0
        which, pos = _expand(self.nb_ptr[own[known]], self.nb_ptr[own[known] + 1])
        g = np.nonzero(known)[0][which]
        if known.all():
            return g, self.nb_tok[pos], self.nb_sim[pos]
        unknown = np.nonzero(~known)[0]
        ug, utok, usim = self._searched([skeletons[i] for i in unknown.tolist()])
        return (
            np.concatenate([g, unknown[ug]]),
            np.concatenate([self.nb_tok[pos], utok]),
            np.concatenate([self.nb_sim[pos], usim]),
        )

    def _searched(self, skeletons: Sequence[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        cache = self._cache
        todo = list(dict.fromkeys(s for s in skeletons if s not in cache))
        if todo:
            if len(cache) + len(todo) > NEIGHBOUR_CACHE:
                cache.clear()
            qt, tok, sim = self._neighbours(todo)
            cuts = np.searchsorted(qt, np.arange(1, len(todo)))
            for s, t, m in zip(todo, np.split(tok, cuts), np.split(sim, cuts), strict=True):
                cache[s] = (t, m)
        toks: list[np.ndarray] = []
        sims: list[np.ndarray] = []
        for s in skeletons:
            t, m = cache[s]
            toks.append(t)
            sims.append(m)
        lengths = np.fromiter((len(t) for t in toks), dtype=np.int64, count=len(toks))
        owner = np.repeat(np.arange(len(toks), dtype=np.int64), lengths)
        if not toks:
            return owner, np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
        return owner, np.concatenate(toks), np.concatenate(sims)

    def _neighbours(self, skeletons: Sequence[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """See :meth:`neighbours` (searched in the deletion keys)."""
        cp, ptr = neighbour_kernel.encode(list(skeletons))
        return self._search(cp, ptr)

    def _search(self, cp: np.ndarray, ptr: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        if len(ptr) <= 1:
            z = np.zeros(0, dtype=np.int64)
            return z, z, np.zeros(0, dtype=np.float32)
        qt, tok, sim = neighbour_kernel.neighbours(
            cp,
            ptr,
            self.voc_cp,
            self.voc_ptr,
            self.key_hash,
            self.key_ptr,
            self.del_tok,
            self.bucket_ptr,
            self.key_bits,
            self._seen,
        )
        return qt, tok, sim

    def block(self, forms: Sequence[NameForm], min_score: float = 0.7) -> Bounded:
        """Candidate list names for each query name: those whose bound reaches
        ``min_score`` less :data:`BOUND_MARGIN`, best bound first (at most ``top_k``
        when set)."""
        from transship.resolve.compare import is_patronymic

        nq = len(forms)
        empty = np.zeros(0, dtype=np.int64)
        if nq == 0 or self.size == 0:
            return Bounded([empty for _ in forms], [np.zeros(0) for _ in forms])
        t = max(0.0, min_score - BOUND_MARGIN)
        skels: list[str] = []
        g_row: list[int] = []
        g_w: list[float] = []
        g_xw: list[float] = []
        for r, f in enumerate(forms):
            xf = _XF_QUERY.get(f.kind, 0.6)
            per = f.kind == "PER"
            for tk, sk, w in zip(f.tokens, f.skeletons, f.weights, strict=True):
                skels.append(sk)
                g_row.append(r)
                g_w.append(w)
                g_xw.append(w * (_XF_PATRONYMIC if per and is_patronymic(tk) else xf))
        if not skels:
            return Bounded([empty for _ in forms], [np.zeros(0) for _ in forms])
        ng = len(skels)
        nb_g, nb_tok, nb_sim = self.neighbours(skels)
        o = np.argsort(nb_g, kind="stable")
        nb_g, nb_tok, nb_sim = nb_g[o], nb_tok[o], nb_sim[o]
        nb_ptr = np.concatenate([[0], np.cumsum(np.bincount(nb_g, minlength=ng))])
        g_df = np.bincount(nb_g, weights=self.df[nb_tok], minlength=ng)
        own_tok = np.fromiter((self.vocab.get(s, -1) for s in skels), dtype=np.int64, count=ng)
        q_ptr = np.concatenate([[0], np.cumsum(np.bincount(g_row, minlength=nq))])
        out_r, out_n, out_b = self._run_block(
            q_ptr.astype(np.int64),
            np.asarray(g_w, dtype=np.float64),
            np.asarray(g_xw, dtype=np.float64),
            g_df,
            own_tok,
            nb_ptr.astype(np.int64),
            nb_tok,
            nb_sim,
            t,
        )
        if self.top_k is not None:
            counts = np.bincount(out_r, minlength=nq)
            first = np.concatenate([[0], np.cumsum(counts)[:-1]])
            top = np.arange(len(out_r)) - first[out_r] < self.top_k
            out_r, out_n, out_b = out_r[top], out_n[top], out_b[top]
        cuts = np.cumsum(np.bincount(out_r, minlength=nq))[:-1]
        return Bounded(np.split(out_n, cuts), np.split(out_b, cuts))

    _marks: tuple[np.ndarray, np.ndarray] | None = None

    def _scratch(self) -> tuple[np.ndarray, np.ndarray]:
        """The kernel's scratch arrays: a flag and a head per vocabulary token (allocated
        on first use, in the process that screens)."""
        if self._marks is None:
            self._marks = (
                np.zeros(len(self.vocab), dtype=np.uint8),
                np.zeros(len(self.vocab), dtype=np.int64),
            )
        return self._marks
