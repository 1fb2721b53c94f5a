"""The shape of a sum tree, building it, and the path from one leaf to the root.

Level 0 holds the ``n`` leaves in order. Level ``L + 1`` pairs the nodes of level ``L`` left to
right; when a level has an odd number of nodes, its last node has no sibling and moves up
unchanged (it is not hashed with a copy of itself, which would double its sum). Node
``(L, i)`` therefore covers leaves ``[i * 2**L, min((i + 1) * 2**L, n))``, level ``L`` has
``ceil(n / 2**L)`` nodes, and the root is the single node of the top level.

A path lists, from the leaf up, the sibling of each node that has one, with the side it sits
on; levels where the node moved up alone contribute no step.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

from ledger.sumtree.hashing import Node, combine

STORED_FROM = 4
"""Levels below this are not stored: a proof recomputes them from the leaf's bucket of
``2**STORED_FROM`` leaves, which costs a few hashes and saves 15/16 of the nodes."""

Side = Literal["left", "right"]


@dataclass(frozen=True, slots=True)
class Step:
    """One step of a path: the sibling node and the side it is on."""

    side: Side
    node: Node


def level_sizes(n: int) -> list[int]:
    """Number of nodes of each level, leaves first, root last. Requires n >= 1."""
    if n < 1:
        raise ValueError(f"a sum tree has at least one leaf, got {n}")
    sizes = [n]
    while sizes[-1] > 1:
        sizes.append((sizes[-1] + 1) // 2)
    return sizes


def path_ids(position: int, n: int) -> list[tuple[int, int, Side]]:
    """(level, index, side) of the siblings on the path of leaf ``position``.

    Requires 0 <= position < n.
    """
    if not 0 <= position < n:
        raise ValueError(f"leaf {position} is outside a tree of {n} leaves")
    ids: list[tuple[int, int, Side]] = []
    for level, size in enumerate(level_sizes(n)[:-1]):
        index = position >> level
        sibling = index ^ 1
        if sibling < size:
            ids.append((level, sibling, "left" if sibling < index else "right"))
    return ids


def parent_level(nodes: Sequence[Node]) -> list[Node]:
    """The level above ``nodes``: pairs combined, a last odd node moved up unchanged."""
    above = [combine(nodes[i], nodes[i + 1]) for i in range(0, len(nodes) - 1, 2)]
    if len(nodes) % 2:
        above.append(nodes[-1])
    return above


def build_levels(leaves: Sequence[Node]) -> list[list[Node]]:
    """Every level of the tree over ``leaves`` (in memory), leaves first, root level last."""
    levels = [list(leaves)]
    level_sizes(len(leaves))  # checks there is a leaf
    while len(levels[-1]) > 1:
        levels.append(parent_level(levels[-1]))
    return levels


def path_from_levels(levels: Sequence[Sequence[Node]], position: int) -> list[Step]:
    """The path of leaf ``position`` in a tree built by ``build_levels``."""
    return [
        Step(side, levels[level][index])
        for level, index, side in path_ids(position, len(levels[0]))
    ]


class TreeBuilder:
    """Builds a sum tree leaf by leaf in O(log n) memory, handing over each finished node.

    ``keep(level, index, node)`` is called once for every node of level ``STORED_FROM`` and
    up (a node that moves up alone is handed over again at each level it reaches), so that a
    store can serve paths without the lower levels. ``n`` is the number of leaves to come.
    """

    def __init__(self, n: int, keep: Callable[[int, int, Node], None]) -> None:
        self._sizes = level_sizes(n)
        self._keep = keep
        self._pending: list[Node | None] = [None] * len(self._sizes)
        self._counts = [0] * len(self._sizes)

    def add(self, leaf: Node) -> None:
        """Append the next leaf."""
        if self._counts[0] >= self._sizes[0]:
            raise ValueError(f"more than the {self._sizes[0]} leaves announced")
        self._push(0, leaf)

    def extend(self, leaves: Iterable[Node]) -> None:
        for leaf in leaves:
            self.add(leaf)

    def _push(self, level: int, node: Node) -> None:
        while True:
            index = self._counts[level]
            self._counts[level] = index + 1
            if level >= STORED_FROM:
                self._keep(level, index, node)
            left = self._pending[level]
            if left is None:
                self._pending[level] = node
                return
            self._pending[level] = None
            node = combine(left, node)
            level += 1

    def root(self) -> Node:
        """The root, once every announced leaf was added; lone last nodes move up first."""
        if self._counts[0] != self._sizes[0]:
            raise ValueError(f"{self._counts[0]} leaves added, {self._sizes[0]} announced")
        top = len(self._sizes) - 1
        for level in range(top):
            lone = self._pending[level]
            if lone is not None:
                self._pending[level] = None
                self._push(level + 1, lone)
        root = self._pending[top]
        assert root is not None and self._counts[top] == 1
        return root
