"""What the duplicate finders return. Plain values: the review queue and merge build on them."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class DuplicateGroup:
    """Records that share one exact key (``rule``: email, phone or domain)."""

    rule: str
    key: str
    ids: tuple[int, ...]


@dataclass(frozen=True)
class Match:
    """A record that looks like the same person or company.

    ``score`` is 0..100 (100 for an exact rule); ``reasons`` names the fields that agree, in a
    fixed order: email, phone, domain, name, company, city.
    """

    id: int
    score: float
    reasons: tuple[str, ...]


@dataclass(frozen=True)
class FuzzyPair:
    """Two records (``a`` < ``b``) whose names are alike and that share a company or city."""

    a: int
    b: int
    score: float
    reasons: tuple[str, ...]


@dataclass
class FuzzyResult:
    """The pairs found, and how much work it took (the comparisons that were scored)."""

    pairs: list[FuzzyPair] = field(default_factory=list)
    comparisons: int = 0
    blocks: int = 0
    rows: int = 0

    def clusters(self) -> list[tuple[int, ...]]:
        """The pairs joined into groups (connected components), each sorted, largest first."""
        parent: dict[int, int] = {}

        def find(x: int) -> int:
            root = x
            while parent.get(root, root) != root:
                root = parent[root]
            while parent.get(x, x) != root:
                parent[x], x = root, parent[x]
            return root

        for pair in self.pairs:
            ra, rb = find(pair.a), find(pair.b)
            if ra != rb:
                parent[max(ra, rb)] = min(ra, rb)
        groups: dict[int, list[int]] = {}
        for node in {p.a for p in self.pairs} | {p.b for p in self.pairs}:
            groups.setdefault(find(node), []).append(node)
        return sorted(
            (tuple(sorted(ids)) for ids in groups.values() if len(ids) > 1),
            key=lambda ids: (-len(ids), ids),
        )


REASON_ORDER = ("email", "phone", "domain", "name", "company", "city")


def ordered_reasons(reasons: set[str]) -> tuple[str, ...]:
    return tuple(r for r in REASON_ORDER if r in reasons)
