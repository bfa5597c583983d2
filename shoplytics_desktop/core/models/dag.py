"""A small generic DAG: deterministic topological order, cycle paths, dbt-style selection."""

from __future__ import annotations

import heapq
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

from shoplytics_desktop.core.errors import ModelError


@dataclass
class DAG:
    """Nodes and their upstream dependencies (edges point from a dependency to its dependent)."""

    upstream: dict[str, set[str]] = field(default_factory=dict)

    @classmethod
    def from_mapping(cls, deps: Mapping[str, Iterable[str]]) -> DAG:
        dag = cls({name: set(d) for name, d in deps.items()})
        for ups in list(dag.upstream.values()):
            for up in ups:
                dag.upstream.setdefault(up, set())
        return dag

    @property
    def downstream(self) -> dict[str, set[str]]:
        down: dict[str, set[str]] = {n: set() for n in self.upstream}
        for node, ups in self.upstream.items():
            for up in ups:
                down[up].add(node)
        return down

    def sorted(self, key: Callable[[str], object] | None = None) -> list[str]:
        """Kahn's algorithm; ties broken by ``key`` (then name) so the order never varies."""
        sort_key = key or (lambda n: n)
        remaining = {n: len(ups) for n, ups in self.upstream.items()}
        down = self.downstream
        ready = [(sort_key(n), n) for n, c in remaining.items() if c == 0]
        heapq.heapify(ready)
        order: list[str] = []
        while ready:
            _, node = heapq.heappop(ready)
            order.append(node)
            for child in down[node]:
                remaining[child] -= 1
                if remaining[child] == 0:
                    heapq.heappush(ready, (sort_key(child), child))
        if len(order) != len(self.upstream):
            cycle = self.find_cycle()
            raise ModelError(
                f"The models form a cycle: {' → '.join(cycle)}.",
                "Remove one of these references so the graph has a start.",
            )
        return order

    def find_cycle(self) -> list[str]:
        """One cycle as a path that starts and ends on the same node (empty if none)."""
        white, grey, black = 0, 1, 2
        colour = dict.fromkeys(self.upstream, white)
        stack: list[str] = []

        def visit(node: str) -> list[str] | None:
            colour[node] = grey
            stack.append(node)
            for up in sorted(self.upstream[node]):
                if colour[up] == grey:
                    path = [*stack[stack.index(up) :], up]
                    # Stack runs dependent → dependency; show it in build order.
                    return list(reversed(path))
                if colour[up] == white:
                    found = visit(up)
                    if found:
                        return found
            stack.pop()
            colour[node] = black
            return None

        for node in sorted(self.upstream):
            if colour[node] == white:
                found = visit(node)
                if found:
                    return found
        return []

    def ancestors(self, node: str) -> set[str]:
        return _walk(node, self.upstream)

    def descendants(self, node: str) -> set[str]:
        return _walk(node, self.downstream)

    def select(self, selectors: Iterable[str], known: Callable[[str], str | None]) -> set[str]:
        """dbt-style: ``name``, ``name+`` (and downstream), ``+name`` (and upstream), ``+name+``.

        ``known`` resolves a typed name to a node (or None); unknown names are an error.
        """
        chosen: set[str] = set()
        for raw in selectors:
            up, down = raw.startswith("+"), raw.endswith("+")
            name = raw.strip("+")
            node = known(name)
            if node is None:
                raise ModelError(
                    f"No model named '{name}' to select.",
                    "Run `shoplytics models` to list the models.",
                )
            chosen.add(node)
            if up:
                chosen |= self.ancestors(node)
            if down:
                chosen |= self.descendants(node)
        return chosen


def _walk(start: str, edges: Mapping[str, set[str]]) -> set[str]:
    seen: set[str] = set()
    todo = list(edges.get(start, ()))
    while todo:
        node = todo.pop()
        if node not in seen:
            seen.add(node)
            todo.extend(edges.get(node, ()))
    return seen
