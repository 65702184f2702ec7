"""The blocking's inner loops, compiled: read order, candidates and the bound of each
candidate's name score (:meth:`transship.resolve.index.TokenIndex.block`).

One query name at a time: the list names the query's read tokens lead to are gathered from
their posting lists with their slots beside them (each posting carries a copy of its list
name's 64-byte slot, so the bound reads memory in order rather than one cache miss per
candidate at random in the list), sorted and deduplicated in a small local array rather
than marked in a table of a million list names (a random write per posting, which was most
of the step's time: 65 of 105 us a query name at 1,000,000 entries), and the query's token
neighbours are found by vocabulary token in a table filled and emptied per query name. The arithmetic is the bound's as
:class:`~transship.resolve.index.TokenIndex` documents it, summed in the same order and in
the same precision (weights and similarities in float32, sums in float64) as the numpy
version it replaces, so that the same candidates come out with the same bounds.

Why compiled (numba): the numpy version did its work in sorts and scatters over every
candidate pair of a batch (550 list tokens a query name at 1,000,000 entries), and spent
more time arranging the arrays than adding; a loop per query name touches each pair once.
numba compiles the loops on first use (a few seconds, paid once per process, and cached on
disk when the package's folder is writable); :mod:`transship.resolve.index` imports this
module only when a list is indexed.
"""

from __future__ import annotations

import numpy as np
from numba import njit

#: Tokens of a list name held in its slot (64 bytes: count, two totals, 4 x 3 values).
SLOT_TOKENS = 4
SLOT_WIDTH = 16
#: The posting number of a candidate met through a pair key (its slot is read by list name).
NO_POSTING = (1 << 32) - 1


def slots(
    row_ptr: np.ndarray, row_tok: np.ndarray, row_wx: np.ndarray, row_tot: np.ndarray
) -> np.ndarray:
    """The list names' slots (see :func:`block`), as 32-bit words: read them with
    ``.view(np.int32)`` and ``.view(np.float32)``."""
    n = len(row_ptr) - 1
    out = np.zeros((n, SLOT_WIDTH), dtype=np.uint32)
    as_i = out.view(np.int32)
    as_f = out.view(np.float32)
    lengths = np.diff(row_ptr)
    as_i[:, 0] = lengths
    as_f[:, 1] = row_tot[:, 0]
    as_f[:, 2] = row_tot[:, 1]
    short = lengths <= SLOT_TOKENS
    for j in range(SLOT_TOKENS):
        rows = np.flatnonzero(short & (lengths > j))
        p = row_ptr[rows] + j
        as_i[rows, 3 + 3 * j] = row_tok[p]
        as_f[rows, 4 + 3 * j] = row_wx[p, 0]
        as_f[rows, 5 + 3 * j] = row_wx[p, 1]
    return out


@njit(cache=True, nogil=True)
def _grow(a: np.ndarray, n: int) -> np.ndarray:
    b = np.empty(max(2 * len(a), n), dtype=a.dtype)
    b[: len(a)] = a
    return b


@njit(cache=True, nogil=True, inline="always")
def _bound(
    slot_i: np.ndarray,
    slot_f: np.ndarray,
    at: int,
    row: int,
    n: int,
    g0: int,
    g_w: np.ndarray,
    g_xw: np.ndarray,
    row_ptr: np.ndarray,
    row_tok: np.ndarray,
    row_wx: np.ndarray,
    inq: np.ndarray,
    head: np.ndarray,
    nxt: np.ndarray,
    local: np.ndarray,
    nb_sim: np.ndarray,
    best: np.ndarray,
) -> float:
    """The bound of list name ``row`` (its slot at ``slot_*[at]``) against query name
    tokens ``[g0, g0 + n)``, whose neighbours are chained by vocabulary token in
    ``inq`` / ``head`` / ``nxt`` (``local``: the query token of each neighbour)."""
    for i in range(n):
        best[i] = 0.0
    mc = 0.0
    mxc = 0.0
    m = slot_i[at, 0]
    for j in range(m):
        if m <= SLOT_TOKENS:
            tok = slot_i[at, 3 + 3 * j]
            w = slot_f[at, 4 + 3 * j]
            xw = slot_f[at, 5 + 3 * j]
        else:
            p = row_ptr[row] + j
            tok = row_tok[p]
            w = row_wx[p, 0]
            xw = row_wx[p, 1]
        if inq[tok] == 0:
            continue
        mc += w
        mxc += xw
        k = head[tok]
        while k >= 0:
            if nb_sim[k] > best[local[k]]:
                best[local[k]] = nb_sim[k]
            k = nxt[k]
    mq = 0.0
    mqw = 0.0
    wsum = 0.0
    uxq = 0.0
    for i in range(n):
        wq = np.float32(g_w[g0 + i])
        wsum += float(wq)
        if best[i] > 0:
            mq += float(best[i] * wq)
            mqw += float(wq)
        else:
            uxq += float(np.float32(g_xw[g0 + i]))
    uq = wsum - mqw
    uc = float(slot_f[at, 1]) - mc
    uxc = float(slot_f[at, 2]) - mxc
    num = (mq + mc) / 2
    if uq > 1e-6 and uc > 1e-6:
        den = (mqw + mc) / 2 + (uq + uc)
    else:
        den = (mqw + mc) / 2 + (uxq + uxc)
    return num / max(den, 1e-9) if den > 0 else 0.0


@njit(cache=True, nogil=True)
def block(
    q_ptr: np.ndarray,
    g_w: np.ndarray,
    g_xw: np.ndarray,
    g_df: np.ndarray,
    g_own: np.ndarray,
    nb_ptr: np.ndarray,
    nb_tok: np.ndarray,
    nb_sim: np.ndarray,
    tok_ptr: np.ndarray,
    tok_rows: np.ndarray,
    row_ptr: np.ndarray,
    row_tok: np.ndarray,
    row_wx: np.ndarray,
    slot_i: np.ndarray,
    slot_f: np.ndarray,
    post_i: np.ndarray,
    post_f: np.ndarray,
    pair_keys: np.ndarray,
    pair_rows: np.ndarray,
    common_df: float,
    t: float,
    inq: np.ndarray,
    head: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Candidates of every query name and their bounds.

    ``q_ptr``: query name ``r``'s tokens are ``g`` in ``[q_ptr[r], q_ptr[r + 1])``, with
    weights ``g_w`` (float64, as the matcher gives them), extra weights ``g_xw``, the
    summed postings of their neighbours ``g_df`` and their own vocabulary token ``g_own``
    (-1 when the list does not hold it); ``nb_*``: token ``g``'s neighbours are
    ``[nb_ptr[g], nb_ptr[g + 1])``. Vocabulary token ``tok``'s postings are
    ``tok_rows[tok_ptr[tok]:tok_ptr[tok + 1]]`` (list names, ascending). A list name's
    tokens are ``row_tok[row_ptr[row]:row_ptr[row + 1]]`` with their weight and extra
    weight in ``row_wx`` (float32 pairs); ``slot_i`` / ``slot_f`` (one array of 64-byte
    rows seen as int32 and float32) hold the same in one memory line a list name: its
    token count, its two totals, then up to :data:`SLOT_TOKENS` (token, weight, extra
    weight); longer names are read from ``row_*``. ``post_i`` / ``post_f`` are the slots
    again, one a posting (``slots[tok_rows]``). ``inq`` (zero, and left zero) and ``head``
    (one per vocabulary token) are scratch. Returns (query name, list name, bound) of each
    candidate whose bound reaches ``t``, by query name then best bound first (list name
    on ties)."""
    nq = len(q_ptr) - 1
    nv = len(head)
    out_r = np.empty(1024, dtype=np.int64)
    out_n = np.empty(1024, dtype=np.int64)
    out_b = np.empty(1024, dtype=np.float64)
    n_out = 0
    nxt = np.empty(len(nb_tok), dtype=np.int64)
    local = np.empty(len(nb_tok), dtype=np.int64)
    # (list name << 32 | posting) of every posting read for one query name
    keys = np.empty(4096, dtype=np.int64)
    pass_r = np.empty(256, dtype=np.int64)
    pass_b = np.empty(256, dtype=np.float64)
    widest = 1
    for r in range(nq):
        widest = max(widest, q_ptr[r + 1] - q_ptr[r])
    best = np.zeros(widest, dtype=np.float32)
    order = np.empty(widest, dtype=np.int64)
    toks = np.empty(widest, dtype=np.int64)
    for r in range(nq):
        g0 = q_ptr[r]
        n = q_ptr[r + 1] - g0
        if n == 0:
            continue
        # -- which tokens to read: rarest first (a stable insertion sort), until a name
        # holding none of the read ones could not reach t
        for i in range(n):
            order[i] = g0 + i
        for i in range(1, n):
            g = order[i]
            j = i - 1
            while j >= 0 and g_df[order[j]] > g_df[g]:
                order[j + 1] = order[j]
                j -= 1
            order[j + 1] = g
        total = 0.0
        for i in range(n):
            total += g_w[g0 + i]
        unread = total
        extra = 0.0
        n_common = 0
        nk = 0
        for i in range(n):
            g = order[i]
            if unread <= 0 or unread / (unread + extra) < t:
                break
            if g_df[g] > common_df:
                # common tokens: met through pair keys below
                if g_own[g] >= 0:
                    toks[n_common] = g_own[g]
                    n_common += 1
                continue
            unread -= g_w[g]
            extra += g_xw[g]
            for k in range(nb_ptr[g], nb_ptr[g + 1]):
                tok = nb_tok[k]
                lo = tok_ptr[tok]
                hi = tok_ptr[tok + 1]
                if nk + hi - lo > len(keys):
                    keys = _grow(keys, nk + hi - lo)
                for p in range(lo, hi):
                    keys[nk] = (tok_rows[p] << 32) | p
                    nk += 1
        # common tokens read as pairs (distinct, sorted), when a name could still reach t
        # through them; a one-token query name's only token pairs with itself
        if n_common and (unread <= 0 or unread / (unread + extra) >= t):
            tk = np.unique(toks[:n_common])
            m = len(tk)
            for i in range(m):
                for j in range(i, m):
                    # pairs of distinct tokens; a one-token name's only token with itself
                    if j == i and not (m == 1 and n == 1):
                        continue
                    key = tk[i] * nv + tk[j]
                    lo = np.searchsorted(pair_keys, key, side="left")
                    hi = np.searchsorted(pair_keys, key, side="right")
                    if nk + hi - lo > len(keys):
                        keys = _grow(keys, nk + hi - lo)
                    for p in range(lo, hi):
                        keys[nk] = (pair_rows[p] << 32) | NO_POSTING
                        nk += 1
        if nk == 0:
            continue
        # -- the bound: every neighbour of the query's tokens, by vocabulary token
        for g in range(g0, g0 + n):
            for k in range(nb_ptr[g], nb_ptr[g + 1]):
                tok = nb_tok[k]
                local[k] = g - g0
                if inq[tok] == 0:
                    inq[tok] = 1
                    nxt[k] = -1
                else:
                    nxt[k] = head[tok]
                head[tok] = k
        ks = np.sort(keys[:nk])
        npass = 0
        prev = -1
        for ki in range(nk):
            row = ks[ki] >> 32
            if row == prev:
                continue
            prev = row
            p = ks[ki] & NO_POSTING
            if p == NO_POSTING:
                b = _bound(
                    slot_i, slot_f, row, row, n, g0, g_w, g_xw, row_ptr, row_tok, row_wx,
                    inq, head, nxt, local, nb_sim, best,
                )  # fmt: skip
            else:
                b = _bound(
                    post_i, post_f, p, row, n, g0, g_w, g_xw, row_ptr, row_tok, row_wx,
                    inq, head, nxt, local, nb_sim, best,
                )  # fmt: skip
            if b >= t:
                if npass == len(pass_r):
                    pass_r = _grow(pass_r, npass + 1)
                    pass_b = _grow(pass_b, npass + 1)
                pass_r[npass] = row
                pass_b[npass] = b
                npass += 1
        for k in range(nb_ptr[g0], nb_ptr[g0 + n]):
            inq[nb_tok[k]] = 0
        # best bound first; list name (ascending, as read) on ties
        o = np.argsort(-pass_b[:npass], kind="mergesort")
        if n_out + npass > len(out_r):
            out_r = _grow(out_r, n_out + npass)
            out_n = _grow(out_n, n_out + npass)
            out_b = _grow(out_b, n_out + npass)
        for ci in o:
            out_r[n_out] = r
            out_n[n_out] = pass_r[ci]
            out_b[n_out] = pass_b[ci]
            n_out += 1
    return out_r[:n_out], out_n[:n_out], out_b[:n_out]
