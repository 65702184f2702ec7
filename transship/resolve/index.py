"""Blocking: which list entries a query is compared with, without comparing it with all.

Screening 10,000 names against a million list entries cannot score every pair (10^10
comparisons). The index gives each name a handful of keys and compares a query only with
the entries that share enough of them:

* ``t:`` the :func:`~transship.resolve.names.skeleton` of each token: romanisation-blind
  (``Крушик``, ``Krušik`` and ``Krusik`` share ``t:krusik``);
* ``b:`` each pair of token skeletons (sorted): names made only of common tokens
  (``Mohammad Ali``) still meet through the rare pair, while the common tokens alone
  (``t:mohamad`` in thousands of names) are not followed;
* ``h:``/``e:`` the first and last four letters of each skeleton of six letters or more:
  a typo in the middle of a long token (``Abdurakhmanov`` / ``Abdurahmanov``) keeps both,
  a typo at one end keeps the other;
* ``a:`` the letters of each skeleton of four letters or more, sorted: a transposition
  (``Rabmor`` / ``Rbamor``) keeps it;
* ``d:`` each skeleton of four to seven letters and its one-letter deletions (SymSpell's
  idea): short tokens one edit apart (``Pola`` / ``Polka``) share one.

Keys are weighted by their rarity (``idf = log(N / df)``). Keys held by more than
``max_df`` names (1 % of the list, at least 1,000) identify nothing and are not followed
(their pairs are). A query's
candidates are the names with the largest summed weight of shared keys (a sparse
matrix product, ``scipy.sparse``), at most ``top_k`` and only those sharing at least
``min_share`` of the best one's weight and ``min_cover`` of the query's own; only those
are scored in full.
Recall against all-pairs scoring is measured in ``benchmarks/screen.py``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from transship.resolve.names import NameForm

#: Keys held by more names than this share of the list (and than MAX_DF_MIN) are not
#: followed for blocking: a fixed count would drop ever more keys as lists grow (at a
#: million names a cap of 1,000 halved recall in benchmarks/screen.py).
MAX_DF_SHARE = 0.01
MAX_DF_MIN = 1000
#: Names scored in full per query name, at most ...
TOP_K = 12
#: ... and only those sharing at least this share of the best candidate's key weight: a
#: name that shares a third as much as the best one rarely scores near it.
MIN_SHARE = 0.3
#: ... and at least this share of the query name's own key weight (of its keys the list
#: knows): a pair that can score needs most of the query's tokens, or their typo keys.
MIN_COVER = 0.3
#: Letters of a skeleton's head and tail keys, and the shortest skeleton that gets them.
AFFIX = 4
AFFIX_MIN = 6
#: Skeletons of these lengths also get their one-letter deletions as keys.
DEL_MIN = 4
DEL_MAX = 7
#: At most this many tokens of a name make pair keys (the longest ones).
PAIR_TOKENS = 6


def name_keys(form: NameForm) -> list[str]:
    """The blocking keys of one analysed name."""
    skels = [s for s in form.skeletons if s]
    keys = {"t:" + s for s in skels}
    for s in skels:
        if len(s) >= AFFIX_MIN:
            keys.add("h:" + s[:AFFIX])
            keys.add("e:" + s[-AFFIX:])
        if len(s) >= 4:
            keys.add("a:" + "".join(sorted(s)))
        if DEL_MIN <= len(s) <= DEL_MAX:
            keys.add("d:" + s)
            keys.update("d:" + s[:i] + s[i + 1 :] for i in range(len(s)))
    if len(skels) > 1:
        top = sorted(set(skels), key=lambda s: (-len(s), s))[:PAIR_TOKENS]
        top.sort()
        for i in range(len(top)):
            for j in range(i + 1, len(top)):
                keys.add(f"b:{top[i]}|{top[j]}")
    if not skels and form.tokens:
        keys.update("t:" + t for t in form.tokens)
    return sorted(keys)


@dataclass(slots=True)
class Blocks:
    """Candidate name rows for each query name row."""

    #: query row -> candidate name rows (best first)
    rows: list[np.ndarray]


class KeyIndex:
    """Names (rows) by their keys, as a sparse name x key matrix."""

    def __init__(
        self,
        names: Sequence[NameForm],
        max_df: int | None = None,
        top_k: int = TOP_K,
        min_share: float = MIN_SHARE,
        min_cover: float = MIN_COVER,
    ) -> None:
        if max_df is None:
            max_df = max(MAX_DF_MIN, int(len(names) * MAX_DF_SHARE))
        self.max_df = max_df
        self.top_k = top_k
        self.min_share = min_share
        self.min_cover = min_cover
        vocab: dict[str, int] = {}
        indptr = [0]
        indices: list[int] = []
        for form in names:
            for k in name_keys(form):
                col = vocab.get(k)
                if col is None:
                    col = vocab[k] = len(vocab)
                indices.append(col)
            indptr.append(len(indices))
        n = len(names)
        data = np.ones(len(indices), dtype=np.float32)
        self.matrix = sp.csr_matrix(
            (data, np.asarray(indices, dtype=np.int32), np.asarray(indptr, dtype=np.int64)),
            shape=(n, max(1, len(vocab))),
        )
        df = np.bincount(self.matrix.indices, minlength=self.matrix.shape[1])
        idf = np.log((n + 1) / (df + 1)).astype(np.float32) + 0.1
        idf[df > max_df] = 0.0
        self.idf = idf
        self.vocab = vocab
        # Keys x names, so that a query batch's product reads each key's postings.
        self.postings = self.matrix.T.tocsr()
        self.size = n

    def query_matrix(self, forms: Sequence[NameForm]) -> sp.csr_matrix:
        indptr = [0]
        indices: list[int] = []
        vocab = self.vocab
        for form in forms:
            for k in name_keys(form):
                col = vocab.get(k)
                if col is not None and self.idf[col] > 0:
                    indices.append(col)
            indptr.append(len(indices))
        idx = np.asarray(indices, dtype=np.int32)
        data = self.idf[idx] if len(idx) else np.zeros(0, dtype=np.float32)
        return sp.csr_matrix(
            (data, idx, np.asarray(indptr, dtype=np.int64)),
            shape=(len(forms), self.matrix.shape[1]),
        )

    def block(self, forms: Sequence[NameForm]) -> Blocks:
        """The ``top_k`` names sharing the most key weight with each query name."""
        if not forms or self.size == 0:
            return Blocks([np.zeros(0, dtype=np.int64) for _ in forms])
        q = self.query_matrix(forms)
        own = np.asarray(q.sum(axis=1)).ravel()
        scores = (q @ self.postings).tocsr()
        rows: list[np.ndarray] = []
        k = self.top_k
        for r in range(scores.shape[0]):
            start, end = scores.indptr[r], scores.indptr[r + 1]
            if start == end:
                rows.append(np.zeros(0, dtype=np.int64))
                continue
            cols = scores.indices[start:end]
            vals = scores.data[start:end]
            keep = vals >= max(vals.max() * self.min_share, own[r] * self.min_cover)
            if not keep.all():
                cols, vals = cols[keep], vals[keep]
            if len(vals) > k:
                part = np.argpartition(-vals, k - 1)[:k]
                cols, vals = cols[part], vals[part]
            order = np.argsort(-vals, kind="stable")
            rows.append(cols[order].astype(np.int64))
        return Blocks(rows)


def idf_weight(n: int, df: int) -> float:
    """The weight of a key held by ``df`` of ``n`` names (as the index computes it)."""
    return math.log((n + 1) / (df + 1)) + 0.1
