"""Which published counts to suppress so that no suppressed one can be worked out from the others.

Every count one `nrm stats` run publishes is the number of persons in a set. Persons who fall in exactly the same
published sets form one atom, so each count is a sum of atom sizes: a 0/1 row over the atoms. A suppressed count
is derivable by linear arithmetic from the published ones exactly when its row is a rational combination of theirs.
Every atom holds at least one person, so the true sizes lie strictly inside the region where all sizes are
non-negative: when the row is not such a combination, the published counts leave it free to move either way there,
with no size turning negative. Taking atoms from the data is conservative: a reader who does not know which joint
categories are empty can derive no more.

The plan suppresses the counts from 1 to `min_cell - 1`; then, while a suppressed count is derivable, also the
smallest published count that every way of deriving it uses (or, if there is none, the smallest one some way
uses), until none is derivable. Arithmetic is exact (fractions).
"""

from __future__ import annotations

from collections.abc import Collection, Hashable, Mapping
from fractions import Fraction
from typing import Any, TypeVar

K = TypeVar("K", bound=Hashable)
Vector = dict[Any, Fraction]  # sparse: a row over atoms (ints), or a combination over counts (their keys)


def _subtract(target: Vector, factor: Fraction, vector: Vector) -> None:
    for i, v in vector.items():
        new = target.get(i, Fraction(0)) - factor * v
        if new:
            target[i] = new
        else:
            target.pop(i, None)


class Span:
    """The rational span of the published counts' rows over the atoms, in echelon form (one pivot atom per basis
    row), each basis row remembering which counts it combines; `dependencies` are the combinations of counts
    whose rows cancel out."""

    def __init__(self, rows: Mapping[K, Collection[int]]) -> None:
        self._basis: dict[int, tuple[Vector, Vector]] = {}
        self.dependencies: list[Vector] = []
        for key, atoms_ in rows.items():
            residue, combination = self._reduce(atoms_, {key: Fraction(1)})
            if not residue:
                self.dependencies.append(combination)
                continue
            pivot = min(residue)
            scale = residue[pivot]
            self._basis[pivot] = (
                {a: v / scale for a, v in residue.items()},
                {k: v / scale for k, v in combination.items()},
            )

    def _reduce(self, atoms_: Collection[int], combination: Vector) -> tuple[Vector, Vector]:
        row: Vector = {a: Fraction(1) for a in atoms_}
        while pivots := [a for a in row if a in self._basis]:
            pivot = min(pivots)
            factor = row[pivot]
            basis_row, basis_combination = self._basis[pivot]
            _subtract(row, factor, basis_row)
            _subtract(combination, factor, basis_combination)
        return row, combination

    def express(self, atoms_: Collection[int]) -> Vector | None:
        """Coefficients of published counts that add up to this row, or None when no combination does."""
        residue, combination = self._reduce(atoms_, {})
        return None if residue else {k: -v for k, v in combination.items()}


def atoms(members: Mapping[K, Collection[int]]) -> dict[K, frozenset[int]]:
    """Each count's set of atoms, an atom being the persons counted in exactly the same counts."""
    signature: dict[int, list[K]] = {}
    for key, persons in members.items():
        for person in set(persons):
            signature.setdefault(person, []).append(key)
    ids: dict[tuple[K, ...], int] = {}
    result: dict[K, set[int]] = {key: set() for key in members}
    for keys in signature.values():
        atom = ids.setdefault(tuple(keys), len(ids))
        for key in keys:
            result[key].add(atom)
    return {key: frozenset(a) for key, a in result.items()}


def plan(members: Mapping[K, Collection[int]], min_cell: int) -> set[K]:
    """The counts to suppress: `members` maps each count to the persons (any ids) it counts."""
    rows = atoms(members)
    size = {key: len(set(persons)) for key, persons in members.items()}
    order = {key: i for i, key in enumerate(members)}
    suppressed = {key for key, n in size.items() if 0 < n < min_cell}
    while True:
        span = Span({key: row for key, row in rows.items() if key not in suppressed})
        leak = next(
            ((key, c) for key in rows if key in suppressed and (c := span.express(rows[key])) is not None), None
        )
        if leak is None:
            return suppressed
        # a count every combination uses is needed: suppressing it frees the leak; else any one it uses now
        used = sorted(leak[1], key=lambda key: (size[key], order[key]))
        needed = (key for key in used if all(key not in d for d in span.dependencies))
        suppressed.add(next(needed, used[0]))
