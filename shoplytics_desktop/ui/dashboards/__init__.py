"""Native dashboards (pyqtgraph) over the marts: global filters and seven tabs."""

from shoplytics_desktop.ui.dashboards.page import DashboardsPage

__all__ = ["DashboardsPage"]
