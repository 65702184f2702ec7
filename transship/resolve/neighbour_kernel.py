"""Token neighbours, compiled: the deletion keys of the vocabulary and of query tokens, and
the edit distances that keep a neighbour (:class:`transship.resolve.index.TokenIndex`).

Tokens are arrays of code points (one array for many tokens, with where each starts), so
that no Python string is made or read per key or per pair: the Python version built about
40 key strings a token, hashed each, and compared every pair with rapidfuzz from lists of
strings, which took a third of the blocking's time at 1,000,000 entries (and touched the
parent's string objects in forked workers: copy-on-write).

* **Keys** (SymSpell): a token of three letters or more gives itself and its one-letter
  deletions; from :data:`DEL2_MIN` letters also its two-letter deletions; from
  :data:`AFFIX_LONG` letters also its first and last :data:`AFFIX_KEEP` letters as two
  more keys (three edits, allowed from ten letters, leave the head or the tail mostly
  intact). Shorter tokens give only themselves. Keys are 64-bit hashes (FNV-1a over the
  code points, an affix key behind a mark no text holds, then the splitmix64 finaliser so that the
  top bits, which pick a bucket, are evenly spread).
* **Neighbours** of a query token: vocabulary tokens sharing a key, kept when the
  matcher's edit budget allows the pair (see :func:`neighbours`).
"""

from __future__ import annotations

import numpy as np
from numba import njit

#: Tokens this long also get their two-letter deletions: the matcher allows two edits
#: from seven letters (three from ten).
DEL2_MIN = 7
#: Tokens this long also get their first and last letters as keys.
AFFIX_LONG = 7
AFFIX_KEEP = 5

_FNV_OFFSET = np.uint64(0xCBF29CE484222325)
_FNV_PRIME = np.uint64(0x100000001B3)


def encode(words: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """``words`` as one array of code points and where each word starts (and the end)."""
    cp = np.frombuffer("".join(words).encode("utf-32-le"), dtype=np.uint32)
    lengths = np.fromiter((len(w) for w in words), dtype=np.int64, count=len(words))
    return cp.copy(), np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)


@njit(cache=True, nogil=True)
def _hash(cp: np.ndarray, a: int, b: int, skip1: int, skip2: int, kind: int) -> np.uint64:
    """The key of ``cp[a:b]`` without positions ``skip1`` and ``skip2`` (-1: none)."""
    h = _FNV_OFFSET
    if kind:
        # an affix key starts with a mark no text holds (past the last code point), as
        # ``^`` or ``$`` in front of a string would
        h = (h ^ np.uint64(0x110000 + kind)) * _FNV_PRIME
    for i in range(a, b):
        if i == skip1 or i == skip2:
            continue
        h = (h ^ np.uint64(cp[i])) * _FNV_PRIME
    h = (h ^ (h >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    h = (h ^ (h >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return h ^ (h >> np.uint64(31))


@njit(cache=True, nogil=True)
def _token_keys(cp: np.ndarray, a: int, b: int, out: np.ndarray) -> int:
    """Writes the distinct keys of the token ``cp[a:b]`` to ``out``; returns how many."""
    n = b - a
    m = 0
    out[m] = _hash(cp, a, b, -1, -1, 0)
    m += 1
    if n < 3:
        return m
    for i in range(a, b):
        out[m] = _hash(cp, a, b, i, -1, 0)
        m += 1
    if n >= DEL2_MIN:
        for i in range(a, b):
            for j in range(i + 1, b):
                out[m] = _hash(cp, a, b, i, j, 0)
                m += 1
    if n >= AFFIX_LONG:
        out[m] = _hash(cp, a, a + AFFIX_KEEP, -1, -1, 1)
        m += 1
        out[m] = _hash(cp, b - AFFIX_KEEP, b, -1, -1, 2)
        m += 1
    # the same string reached by two deletions (``aab`` less either ``a``) is one key
    s = np.sort(out[:m])
    k = 0
    for i in range(m):
        if i == 0 or s[i] != s[i - 1]:
            out[k] = s[i]
            k += 1
    return k


@njit(cache=True, nogil=True)
def vocabulary_keys(cp: np.ndarray, ptr: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(key, token) of every key of every token in ``cp`` / ``ptr``, sorted by key."""
    nt = len(ptr) - 1
    widest = 0
    for t in range(nt):
        widest = max(widest, ptr[t + 1] - ptr[t])
    buf = np.empty(1 + widest + (widest * (widest - 1)) // 2 + 2, dtype=np.uint64)
    counts = np.empty(nt, dtype=np.int64)
    total = 0
    for t in range(nt):
        counts[t] = _token_keys(cp, ptr[t], ptr[t + 1], buf)
        total += counts[t]
    keys = np.empty(total, dtype=np.uint64)
    owner = np.empty(total, dtype=np.int64)
    at = 0
    for t in range(nt):
        m = _token_keys(cp, ptr[t], ptr[t + 1], buf)
        keys[at : at + m] = buf[:m]
        owner[at : at + m] = t
        at += m
    o = np.argsort(keys, kind="mergesort")
    return keys[o], owner[o]


@njit(cache=True, nogil=True)
def _distance(
    cp: np.ndarray,
    a: int,
    la: int,
    voc: np.ndarray,
    b: int,
    lb: int,
    d: np.ndarray,
    transpose: bool,
    limit: int,
) -> int:
    """Edit distance of ``cp[a:a + la]`` and ``voc[b:b + lb]``: optimal string alignment
    (an adjacent transposition is one edit, as rapidfuzz's ``OSA.distance``) when
    ``transpose``, else Levenshtein; exact up to ``limit``, ``limit + 1`` beyond it (the
    table stops once two rows in a row are past the limit: every later cell comes from
    them). ``d`` is scratch of at least (la + 1) x (lb + 1)."""
    w = lb + 1
    for j in range(lb + 1):
        d[j] = j
    prev_min = 0
    for i in range(1, la + 1):
        d[i * w] = i
        row_min = i
        ca = cp[a + i - 1]
        for j in range(1, lb + 1):
            cb = voc[b + j - 1]
            cost = 0 if ca == cb else 1
            v = min(d[(i - 1) * w + j] + 1, d[i * w + j - 1] + 1, d[(i - 1) * w + j - 1] + cost)
            if transpose and i > 1 and j > 1 and ca == voc[b + j - 2] and cp[a + i - 2] == cb:
                v = min(v, d[(i - 2) * w + j - 2] + 1)
            d[i * w + j] = v
            row_min = min(row_min, v)
        if row_min > limit and prev_min >= limit:
            return limit + 1
        prev_min = row_min
    return min(int(d[la * w + lb]), limit + 1)


@njit(cache=True, nogil=True)
def neighbours(
    q_cp: np.ndarray,
    q_ptr: np.ndarray,
    voc_cp: np.ndarray,
    voc_ptr: np.ndarray,
    key_hash: np.ndarray,
    key_ptr: np.ndarray,
    del_tok: np.ndarray,
    bucket_ptr: np.ndarray,
    key_bits: int,
    seen: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(query token, vocabulary token, similarity estimate) of every vocabulary token the
    matcher could pair with each query token, by query token then vocabulary token.

    A pair shares a key, and is kept when its distance (:func:`_distance`) is within the edit
    budget of the longer token (none up to three letters, one up to six, two up to nine,
    three beyond; one less when the first letters differ), or is two edits across a
    digraph (lengths one apart, ``lacahl``/``lahal``); a pair one edit apart that the
    budget does not allow is kept when that edit is a transposition (from three letters;
    not a substitution: Yong/Song). Similarity: 1 when equal, else
    ``0.95 * (1 - min(d, 2) / longer)``. ``seen`` (one per vocabulary token, all -1) is
    scratch, left as found."""
    nq = len(q_ptr) - 1
    widest = 1
    for q in range(nq):
        widest = max(widest, q_ptr[q + 1] - q_ptr[q])
    buf = np.empty(1 + widest + (widest * (widest - 1)) // 2 + 2, dtype=np.uint64)
    found = np.empty(64, dtype=np.int64)
    out_q = np.empty(256, dtype=np.int64)
    out_t = np.empty(256, dtype=np.int64)
    out_s = np.empty(256, dtype=np.float32)
    n_out = 0
    nk = len(key_hash)
    d = np.empty(64 * 64, dtype=np.int64)
    shift = np.uint64(64 - key_bits)
    for q in range(nq):
        a = q_ptr[q]
        la = q_ptr[q + 1] - a
        qfirst = q_cp[a] if la > 0 else 0
        m = _token_keys(q_cp, a, q_ptr[q + 1], buf)
        nf = 0
        for i in range(m):
            h = buf[i]
            if nk == 0:
                break
            bk = h >> shift
            lo = bucket_ptr[bk]
            hi = bucket_ptr[bk + 1]
            while lo < hi:
                mid = (lo + hi) >> 1
                if key_hash[mid] < h:
                    lo = mid + 1
                else:
                    hi = mid
            if lo >= bucket_ptr[bk + 1] or key_hash[lo] != h:
                continue
            for p in range(key_ptr[lo], key_ptr[lo + 1]):
                t = del_tok[p]
                if seen[t] != q:
                    seen[t] = q
                    if nf == len(found):
                        grown = np.empty(2 * nf, dtype=np.int64)
                        grown[:nf] = found
                        found = grown
                    found[nf] = t
                    nf += 1
        toks = np.sort(found[:nf])
        for i in range(nf):
            seen[toks[i]] = -1
        for i in range(nf):
            t = toks[i]
            b = voc_ptr[t]
            lb = voc_ptr[t + 1] - b
            tfirst = voc_cp[b] if lb > 0 else 0
            longer = max(la, lb)
            if longer <= 3:
                budget = 0
            elif longer <= 6:
                budget = 1
            elif longer <= 9:
                budget = 2
            else:
                budget = 3
            if qfirst != tfirst:
                budget -= 1
            diff_len = abs(la - lb)
            if diff_len > max(budget, 1):
                continue
            if (la + 1) * (lb + 1) > len(d):
                d = np.empty((la + 1) * (lb + 1), dtype=np.int64)
            dist = _distance(q_cp, a, la, voc_cp, b, lb, d, True, max(budget, 2))
            ok = dist <= budget or (dist == 2 and diff_len == 1 and budget >= 1)
            if not ok and dist == 1 and diff_len == 0 and longer >= 3:
                ok = _distance(q_cp, a, la, voc_cp, b, lb, d, False, 2) == 2
            if not ok:
                continue
            if dist == 0:
                sim = 1.0
            else:
                sim = 0.95 * (1.0 - min(dist, 2) / max(longer, 1))
            if n_out == len(out_q):
                gq = np.empty(2 * n_out, dtype=np.int64)
                gq[:n_out] = out_q
                out_q = gq
                gt = np.empty(2 * n_out, dtype=np.int64)
                gt[:n_out] = out_t
                out_t = gt
                gs = np.empty(2 * n_out, dtype=np.float32)
                gs[:n_out] = out_s
                out_s = gs
            out_q[n_out] = q
            out_t[n_out] = t
            out_s[n_out] = np.float32(sim)
            n_out += 1
    return out_q[:n_out], out_t[:n_out], out_s[:n_out]
