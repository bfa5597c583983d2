"""The model graph as data: nodes and edges for the lineage view, DOT and JSON exports."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass

from shoplytics_desktop.core.models.project import Project
from shoplytics_desktop.core.status import LAYERS


@dataclass(frozen=True)
class Node:
    id: str  # schema.name
    name: str
    layer: str  # raw | staging | intermediate | marts
    materialized: str  # table | view | source
    description: str


@dataclass(frozen=True)
class Lineage:
    nodes: list[Node]
    edges: list[tuple[str, str]]  # (upstream id, downstream id)

    def to_json(self) -> str:
        return json.dumps(
            {"nodes": [asdict(n) for n in self.nodes], "edges": [list(e) for e in self.edges]},
            indent=2,
        )

    def to_dot(self) -> str:
        lines = ["digraph shoplytics {", "  rankdir=LR;", '  node [shape=box, style="rounded"];']
        layers: dict[str, list[Node]] = {}
        for n in self.nodes:
            layers.setdefault(n.layer, []).append(n)
        for layer, nodes in layers.items():
            lines.append(f'  subgraph "cluster_{layer}" {{ label="{layer}";')
            for n in nodes:
                lines.append(f'    "{n.id}";')
            lines.append("  }")
        for a, b in self.edges:
            lines.append(f'  "{a}" -> "{b}";')
        lines.append("}")
        return "\n".join(lines) + "\n"


def lineage(project: Project) -> Lineage:
    nodes: dict[str, Node] = {}
    edges: list[tuple[str, str]] = []
    for name in project.order():
        m = project.models[name]
        nodes[m.relation] = Node(m.relation, m.name, m.layer, m.materialized, m.description)
        for src in m.sources:
            schema, _, table = src.partition(".")
            nodes.setdefault(src, Node(src, table, schema, "source", f"source table {src}"))
            edges.append((src, m.relation))
        for dep in m.depends_on:
            edges.append((project.models[dep].relation, m.relation))
    rank = {layer: i for i, layer in enumerate(("raw", *LAYERS))}
    ordered = sorted(nodes.values(), key=lambda n: (rank.get(n.layer, 9), n.id))
    return Lineage(ordered, sorted(set(edges)))
