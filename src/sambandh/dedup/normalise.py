"""Text as the matcher sees it, and the blocking keys that keep comparisons within small groups.

Names are compared as written: Unicode NFKC, case-folded, punctuation turned into spaces.
Nothing is transliterated, so "प्रिया शर्मा" matches "प्रिया शर्मा" and its misspellings, never
"Priya Sharma" (a different script is a different spelling; the exact rules still catch the
same email or phone). Devanagari vowel signs and viramas are combining marks (Unicode M*):
they are kept, since they are part of the letters.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable

# Most names have two or three words; more are titles, suffixes or noise. Capping them keeps
# the number of blocking keys per record (n * (n - 1)) small.
MAX_NAME_TOKENS = 4

# Words that say what kind of company it is, not which one: "Tata Motors Ltd" is
# "Tata Motors Limited". Compared after normalisation (case-folded, no dots).
COMPANY_NOISE = frozenset(
    {
        "ltd",
        "limited",
        "pvt",
        "private",
        "inc",
        "incorporated",
        "llc",
        "llp",
        "plc",
        "gmbh",
        "ag",
        "pte",
        "co",
        "corp",
        "corporation",
        "company",
        "the",
        "and",
        "&",
        "प्राइवेट",
        "प्रा",
        "लिमिटेड",
        "लि",
    }
)


def normalise(value: str | None) -> str:
    """NFKC, case-folded, letters/marks/digits kept, everything else one space."""
    if not value:
        return ""
    text = unicodedata.normalize("NFKC", value).casefold()
    out: list[str] = []
    for ch in text:
        category = unicodedata.category(ch)
        out.append(ch if category[0] in "LMN" else " ")
    return " ".join("".join(out).split())


def name_tokens(*parts: str | None) -> tuple[str, ...]:
    """The words of a person's name (first, middle, last in any order), normalised."""
    tokens: list[str] = []
    for part in parts:
        tokens.extend(normalise(part).split())
    return tuple(tokens[:MAX_NAME_TOKENS])


def company_tokens(name: str | None) -> tuple[str, ...]:
    """The distinctive words of a company name (legal-form words dropped)."""
    tokens = [t for t in normalise(name).split() if t not in COMPANY_NOISE]
    return tuple(tokens[:MAX_NAME_TOKENS])


def person_keys(tokens: Iterable[str]) -> frozenset[str]:
    """Blocking keys of a person's name: for every ordered pair of its words, the first two
    letters of one and the initial of the other.

    Order-free (a swapped first and last name gives the same keys), survives an initial
    ("A. Sharma" shares "sh|a" with "Asha Sharma") and a typo after the second letter of
    either word (the other key survives a typo in the first two letters of one word).
    A one-word name is keyed by its first three letters.
    """
    words = list(dict.fromkeys(tokens))
    if not words:
        return frozenset()
    if len(words) == 1:
        return frozenset({words[0][:3]})
    return frozenset(
        f"{a[:2]}|{b[:1]}"
        for i, a in enumerate(words)
        for j, b in enumerate(words)
        if i != j and len(a) >= 2
    )


def company_keys(tokens: Iterable[str]) -> frozenset[str]:
    """Blocking keys of a company name: the first four letters of each distinctive word."""
    return frozenset(t[:4] for t in tokens if len(t) >= 2)
