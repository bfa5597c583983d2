"""The behaviour heatmap names the reporting time zone its hours are in."""

from __future__ import annotations

from shoplytics_desktop.ui.dashboards.behaviour import BehaviourTab


def test_the_heatmap_names_the_zone_of_its_hours(qtbot) -> None:
    tab = BehaviourTab()
    qtbot.addWidget(tab)
    assert "(UTC)" in tab.heatmap.title_label.text()
    tab.set_time_zone("Europe/Berlin")
    assert "hour of day (Europe/Berlin)" in tab.heatmap.title_label.text()
    assert tab.heatmap.title == "Activity by hour of day (Europe/Berlin) and weekday (events)"
