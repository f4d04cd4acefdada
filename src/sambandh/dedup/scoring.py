"""How alike two names are (0..100), with rapidfuzz doing the character work."""

from __future__ import annotations

from rapidfuzz import fuzz
from rapidfuzz.distance import OSA

# A one-letter word against a word with that initial ("A." and "Asha"): likely, not certain;
# low enough that an initial plus a misspelt surname stays under the default threshold.
INITIAL_SIMILARITY = 0.85
# Below this the joined names are too far apart for any word alignment to reach a threshold
# worth reporting; checking it first (one C call) skips the word-by-word work for most pairs.
PREFILTER = 55.0


def word_similarity(a: str, b: str) -> float:
    """0..1 for two normalised words: an initial against its word, else one minus the
    optimal-string-alignment distance over the longer length. One slip (a letter dropped,
    doubled, replaced, or two swapped) costs one edit, so "sharma"/"shrama" is 0.83 while
    names that differ by a whole syllable ("kumaro"/"kumavi") fall to 0.67. (Jaro-Winkler
    and Indel were tried: both forgive different-syllable names too much; see bench/dedup.py.)
    """
    if a == b:
        return 1.0
    if len(a) == 1 or len(b) == 1:
        return INITIAL_SIMILARITY if a[0] == b[0] else 0.0
    return float(OSA.normalized_similarity(a, b))


def name_similarity(a: tuple[str, ...], b: tuple[str, ...]) -> float:
    """0..100: words paired best-first (any order, so swapped names align), summed and divided
    by the longer name's word count, so a missing middle name costs something."""
    if not a or not b:
        return 0.0
    if a == b:
        return 100.0
    if fuzz.token_sort_ratio(" ".join(a), " ".join(b)) < PREFILTER and not _has_initial(a, b):
        return 0.0
    scored = sorted(
        ((word_similarity(x, y), i, j) for i, x in enumerate(a) for j, y in enumerate(b)),
        reverse=True,
    )
    used_a: set[int] = set()
    used_b: set[int] = set()
    total = 0.0
    for similarity, i, j in scored:
        if i in used_a or j in used_b:
            continue
        used_a.add(i)
        used_b.add(j)
        total += similarity
    return 100.0 * total / max(len(a), len(b))


def _has_initial(a: tuple[str, ...], b: tuple[str, ...]) -> bool:
    return any(len(w) == 1 for w in a) or any(len(w) == 1 for w in b)


def company_similarity(a: tuple[str, ...], b: tuple[str, ...]) -> float:
    """0..100 for two companies' distinctive words: word order ignored ("Motors Tata")."""
    if not a or not b:
        return 0.0
    return float(fuzz.token_sort_ratio(" ".join(a), " ".join(b)))
