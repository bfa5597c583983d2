"""The lineage diagram: whole names, edges clear of the nodes they pass, zoom and search."""

from __future__ import annotations

from PySide6.QtCore import QRectF, Qt

from shoplytics_desktop.core.models.lineage import Lineage, Node
from shoplytics_desktop.ui.lineage_view import NODE_H, EdgeItem, LineageView, free_y

LONG = "int_product_interactions_by_session_and_traffic_source"


def _graph() -> Lineage:
    nodes = [
        Node("raw.events", "events", "raw", "source", ""),
        Node("staging.stg_events", "stg_events", "staging", "view", ""),
        Node("staging.stg_a", "stg_a", "staging", "view", ""),
        Node("staging.stg_b", "stg_b", "staging", "view", ""),
        Node(f"intermediate.{LONG}", LONG, "intermediate", "table", ""),
        Node("marts.fct_orders", "fct_orders", "marts", "table", ""),
    ]
    edges = [("raw.events", "staging.stg_events"), ("raw.events", "staging.stg_a"),
             ("raw.events", "staging.stg_b"), ("staging.stg_events", f"intermediate.{LONG}"),
             (f"intermediate.{LONG}", "marts.fct_orders"),
             ("raw.events", "marts.fct_orders"),  # skips two columns
             ("staging.stg_b", "staging.stg_a")]  # within one layer
    return Lineage(nodes, edges)


def _view(qtbot) -> LineageView:
    view = LineageView()
    qtbot.addWidget(view)
    view.resize(900, 500)
    view.show()
    view.set_graph(_graph(), {})
    return view


def test_free_y_picks_the_nearest_gap() -> None:
    rects = [QRectF(0, 0, 10, 40), QRectF(0, 60, 10, 40)]
    assert free_y(rects, 200) == 200  # clear already
    assert free_y(rects, 30) == 50  # the gap between them
    assert free_y(rects, 2) == -5  # above them all is nearer
    assert free_y([QRectF(0, 0, 10, 40), QRectF(0, 42, 10, 40)], 45) == 87  # no gap: below


def test_names_show_whole_and_edges_pass_no_node(qtbot) -> None:
    view = _view(qtbot)
    item = view.items_by_id[f"intermediate.{LONG}"]
    bold = item.font() if hasattr(item, "font") else view.font()
    bold.setBold(True)
    from PySide6.QtGui import QFontMetricsF

    assert item.width >= QFontMetricsF(bold).horizontalAdvance(LONG) + 16
    edges = [i for i in view.scene().items() if isinstance(i, EdgeItem)]
    assert len(edges) == 7
    for edge in edges:
        path = edge.path()
        for other_id, other in view.items_by_id.items():
            if other is edge.source or other is edge.target:
                continue
            rect = other.rect_in_scene().adjusted(1, 1, -1, -1)
            crossing = [t / 200 for t in range(201) if rect.contains(path.pointAtPercent(t / 200))]
            assert not crossing, f"{edge.source.node.id} → {edge.target.node.id} passes behind {other_id}"


def test_zoom_keys_and_fit(qtbot) -> None:
    view = _view(qtbot)
    before = view.transform().m11()
    qtbot.keyClick(view, Qt.Key.Key_Plus)
    assert view.transform().m11() > before
    view.resize(950, 520)  # a resize keeps the user's zoom
    qtbot.wait(10)
    zoomed = view.transform().m11()
    assert zoomed > before
    qtbot.keyClick(view, Qt.Key.Key_Minus)
    assert view.transform().m11() < zoomed
    qtbot.keyClick(view, Qt.Key.Key_0)
    fitted = view.transform().m11()
    assert fitted < zoomed and not view._zoomed
    view.fit()
    assert view.transform().m11() == fitted


def test_search_highlights_and_centres(qtbot) -> None:
    view = _view(qtbot)
    for _ in range(4):
        view.zoom(1.25)
    view.search.setText("INTERACTIONS_by")
    item = view.items_by_id[f"intermediate.{LONG}"]
    assert item.match and not view.items_by_id["raw.events"].match
    assert view.match_label.text() == "1 found"
    centre = view.mapToScene(view.viewport().rect().center())
    assert abs(centre.x() - item.rect_in_scene().center().x()) < 30
    assert abs(centre.y() - item.rect_in_scene().center().y()) < NODE_H
    view.search.setText("fct_orders")  # at the edge: scrolled into view as far as it goes
    shown = view.mapToScene(view.viewport().rect()).boundingRect()
    assert shown.contains(view.items_by_id["marts.fct_orders"].rect_in_scene())
    view.search.setText("stg")
    assert view.match_label.text() == "3 found"
    qtbot.keyClick(view.search, Qt.Key.Key_Return)
    assert view.selected_id().startswith("staging.stg_")
    view.search.setText("nothing like it")
    assert view.match_label.text() == "none found"
    assert not any(i.match for i in view.items_by_id.values())
