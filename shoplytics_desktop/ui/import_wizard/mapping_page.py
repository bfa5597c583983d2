"""Page 3: for every contract field, the source column it comes from (and how to read the time)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QScrollArea,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from shoplytics_desktop.core import contract, ingest
from shoplytics_desktop.core.ingest import presets, refs
from shoplytics_desktop.core.ingest.wizard import mapped_samples
from shoplytics_desktop.ui.import_wizard.common import ImportState, JobPage, set_kind, status_label


def _reading_order() -> tuple[str, ...]:
    """The contract's mapped fields in the order a person reads an event: the currency next to
    the price and quantity, the row's own id and the leftover properties last."""
    fields: list[str] = [f for f in contract.MAPPED_FIELDS
                         if f not in ("currency", "event_id", "properties")]
    fields.insert(fields.index("quantity") + 1, "currency")
    return (*fields, "event_id", "properties")


FIELDS = _reading_order()
HINTS = {
    "event_time": "when it happened (UTC)",
    "event_type": "the source's event name; mapped to a type on the next page",
    "user_id": "visitor / customer",
    "session_id": "derived from 30-minute gaps when not mapped",
    "event_id": "a hash of the row when not mapped",
    "currency": "ISO code of the price (EUR…); the workspace currency when not mapped",
    "properties": "a JSON column to keep as it is",
}
TIME_FORMATS = (("auto", "automatic (ISO text or epoch numbers)"), ("epoch_s", "epoch seconds"),
                ("epoch_ms", "epoch milliseconds"), ("epoch_us", "epoch microseconds"),
                ("excel_days", "spreadsheet date numbers (days since 1899-12-30)"),
                ("custom", "custom strptime format…"))
#: The preset choice that asks for generic detection.
NO_PRESET = "— none: map columns by name —"
NOT_MAPPED = "— not mapped —"
#: The event-name choice for a source without an event column whose every row is an order line.
EVERY_ROW_PURCHASE = "— every row: purchase —"
_EVERY_ROW = "\x00every row: purchase"  # item data no source column can have


def _source_text(src: str | list[str]) -> str:
    return _short(src) if isinstance(src, str) else ", else ".join(_short(s) for s in src)


def _short(ref: str, width: int = 30) -> str:
    """A long reference by its end, which names the field (``…product/'][].data.price``); the
    whole reference is the item's tooltip."""
    return ref if len(ref) <= width else "…" + ref[-(width - 1):]


class MappingPage(JobPage):
    def __init__(self, state: ImportState, reporting_zone: str = "UTC") -> None:
        super().__init__()
        self.state = state
        #: The workspace's reporting zone: offered as the zone of times without an offset.
        self.reporting_zone = reporting_zone
        self.setTitle("Column mapping")
        self.setSubTitle("Each field of the event contract ← the source column it is read from. "
                         "Fields marked * are required.")
        self.combos: dict[str, QComboBox] = {}
        self.samples: dict[str, SampleLabel] = {}
        preset_row = self._build_preset_row()
        self._build_file_row()
        self.notes = status_label("warn")
        scroll = self._build_field_grid()
        self.keep_unmapped = QCheckBox("Keep the other source columns in properties (JSON)")
        self.keep_unmapped.toggled.connect(self._changed)
        self.unmapped = QLabel()
        self.unmapped.setWordWrap(True)
        self.problem = status_label("error")
        layout = QVBoxLayout(self)
        layout.addLayout(preset_row)
        layout.addWidget(self.preset_why)
        layout.addWidget(self.file_row)
        layout.addWidget(self.notes)
        layout.addWidget(scroll, 1)
        layout.addWidget(self.keep_unmapped)
        layout.addWidget(self.unmapped)
        layout.addWidget(self.problem)
        self._filling = False

    def _build_preset_row(self) -> QHBoxLayout:
        """The vendor preset behind the proposal, why it was recognised, and a way to pick
        another."""
        self.preset = QComboBox()
        self.preset.setAccessibleName("Import preset")
        self.preset.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.preset.currentIndexChanged.connect(self._preset_chosen)
        self.preset_why = QLabel()
        self.preset_why.setWordWrap(True)
        self.preset_why.setTextFormat(Qt.TextFormat.PlainText)
        preset_row = QHBoxLayout()
        preset_row.addWidget(QLabel("<b>Preset</b>"))
        preset_row.addWidget(self.preset)
        preset_row.addStretch(1)
        return preset_row

    def _build_file_row(self) -> None:
        """Files with different columns: each file's own proposal, one at a time."""
        self.file_choice = QComboBox()
        self.file_choice.setAccessibleName("File whose proposal is shown")
        self.file_choice.currentIndexChanged.connect(self._file_chosen)
        self.file_detail = QLabel()
        self.file_detail.setWordWrap(True)
        self.file_detail.setTextFormat(Qt.TextFormat.PlainText)
        self.file_row = QWidget()
        file_layout = QHBoxLayout(self.file_row)
        file_layout.setContentsMargins(0, 0, 0, 0)
        file_layout.addWidget(QLabel("<b>File</b>"))
        file_layout.addWidget(self.file_choice)
        file_layout.addWidget(self.file_detail, 1)
        self.file_row.hide()

    def _build_field_grid(self) -> QScrollArea:
        """One row per contract field: its name, the source column combo and sample values; the
        time format and day/month order rows follow event_time."""
        grid = QGridLayout()
        grid.setHorizontalSpacing(12)
        grid.setVerticalSpacing(6)
        for i, name in enumerate(("Contract field", "← Source column", "Sample values")):
            head = QLabel(f"<b>{name}</b>")
            grid.addWidget(head, 0, i)
        row = 1
        defaults = {"device": contract.UNKNOWN, "country": contract.UNKNOWN_COUNTRY,
                    "traffic_source": contract.UNKNOWN, "quantity": "1"}
        self.defaults = defaults
        for name in FIELDS:
            required = name in contract.REQUIRED_SOURCE_COLUMNS
            label = QLabel(f"<b>{name}</b> *" if required else name)
            label.setToolTip(HINTS.get(name, ""))
            combo = QComboBox()
            combo.setMinimumWidth(220)
            combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
            combo.setAccessibleName(f"Source column for {name}")
            combo.currentIndexChanged.connect(self._changed)
            sample = SampleLabel()
            self.combos[name], self.samples[name] = combo, sample
            grid.addWidget(label, row, 0)
            grid.addWidget(combo, row, 1)
            grid.addWidget(sample, row, 2)
            row += 1
            if name == "event_time":
                row = self._add_time_rows(grid, row)
        grid.setColumnStretch(2, 1)
        inner = QWidget()
        inner_layout = QVBoxLayout(inner)
        inner_layout.addLayout(grid)
        inner_layout.addStretch(1)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setWidget(inner)
        return scroll

    def _add_time_rows(self, grid: QGridLayout, row: int) -> int:
        """The time format and the day/month order rows at ``row``; the next free row."""
        self.time_format = QComboBox()
        for key, text in TIME_FORMATS:
            self.time_format.addItem(text, key)
        self.custom_format = QLineEdit()
        self.custom_format.setPlaceholderText("e.g. %d/%m/%Y %H:%M:%S")
        self.custom_format.setToolTip("A strptime format, as in Python or DuckDB")
        self.time_format.currentIndexChanged.connect(self._changed)
        self.custom_format.textChanged.connect(self._changed)
        box = QHBoxLayout()
        box.setContentsMargins(0, 0, 0, 0)
        box.addWidget(self.time_format)
        box.addWidget(self.custom_format, 1)
        grid.addWidget(QLabel("   time format"), row, 0)
        grid.addLayout(box, row, 1, 1, 2)
        row += 1
        # A day/month order no value settles: both readings, for the user to choose.
        self.date_order = QComboBox()
        self.date_order.setAccessibleName("Day and month order")
        self.date_order.currentIndexChanged.connect(self._date_order_chosen)
        self.date_order_label = QLabel("   day/month order")
        self.date_order_why = QLabel()
        self.date_order_why.setWordWrap(True)
        set_kind(self.date_order_why, "warn")
        order_box = QVBoxLayout()
        order_box.setContentsMargins(0, 0, 0, 0)
        order_box.addWidget(self.date_order)
        order_box.addWidget(self.date_order_why)
        grid.addWidget(self.date_order_label, row, 0)
        grid.addLayout(order_box, row, 1, 1, 2)
        row += 1
        # The zone of wall-clock times (no offset, no Z): UTC unless the export is local time.
        self.time_zone = QComboBox()
        self.time_zone.setAccessibleName("Zone of times without an offset")
        self.time_zone.setToolTip("Times written without a UTC offset (2024-03-01 10:00:00) are "
                                  "read in this zone. Times with an offset or Z, and epoch "
                                  "numbers, are exact instants whatever it says.")
        self.time_zone.currentIndexChanged.connect(self._changed)
        grid.addWidget(QLabel("   times without offset"), row, 0)
        grid.addWidget(self.time_zone, row, 1)
        return row + 1

    def _fill_time_zones(self, current: str | None) -> None:
        self.time_zone.clear()
        self.time_zone.addItem("UTC", None)
        zones = [z for z in dict.fromkeys((self.reporting_zone, current))
                 if z and z.upper() != "UTC"]
        for zone in zones:
            self.time_zone.addItem(
                f"{zone} (the reporting time zone)" if zone == self.reporting_zone else zone, zone)
        self.time_zone.setCurrentIndex(max(0, self.time_zone.findData(current)))

    # -- filling from the state ---------------------------------------------------------------

    def initializePage(self) -> None:
        self.fill()

    def fill(self) -> None:
        """Set every combo from ``state.mapping`` (a proposal or a loaded file)."""
        info, mapping = self.state.info, self.state.mapping
        if info is None or mapping is None:
            return
        self._filling = True
        try:
            names = [c.name for c in info.columns]
            for name, combo in self.combos.items():
                combo.clear()
                combo.addItem(NOT_MAPPED, None)
                for col in names:
                    combo.addItem(col, col)
                src = mapping.columns.get(name)  # type: ignore[call-overload]
                if isinstance(src, list) and len(src) > 1:
                    # "first non-empty value wins": kept as one choice so a proposal survives
                    combo.addItem(_source_text(src), list(src))
                    combo.setItemData(combo.count() - 1, ", else ".join(src),
                                      Qt.ItemDataRole.ToolTipRole)
                elif isinstance(src, str) and src not in names:
                    # A preset's reference into nested data (items[].price, hash(Email)…).
                    combo.addItem(_short(src), src)
                    combo.setItemData(combo.count() - 1, src, Qt.ItemDataRole.ToolTipRole)
                if name == "event_type":
                    combo.addItem(EVERY_ROW_PURCHASE, _EVERY_ROW)
                    if src is None and mapping.defaults.event_name == "purchase":
                        src = _EVERY_ROW
                combo.setCurrentIndex(self._index_of(combo, src))
            fmt = mapping.time_format
            keys = [k for k, _ in TIME_FORMATS]
            self.time_format.setCurrentIndex(keys.index(fmt) if fmt in keys else keys.index("custom"))
            self.custom_format.setText("" if fmt in keys else fmt)
            self._fill_time_zones(mapping.time_zone)
            self.keep_unmapped.setChecked(mapping.keep_unmapped)
            self._fill_presets(info, mapping)
            self._fill_proposal(mapping)
        finally:
            self._filling = False
        self._changed()

    def _fill_presets(self, info: ingest.SourceInfo, mapping: ingest.Mapping) -> None:
        found = presets.recognize_all(info)
        self.preset.clear()
        for r in found:
            fit = "recognised" if r.score >= presets.THRESHOLD else f"fit {r.score:.0%}"
            self.preset.addItem(f"{r.title} ({fit})", r.name)
        self.preset.addItem(NO_PRESET, presets.NONE)
        current = mapping.preset or presets.NONE
        self.preset.setCurrentIndex(max(self.preset.findData(current), 0))
        chosen = next((r for r in found if r.name == mapping.preset), None)
        if chosen is not None:
            self.preset_why.setText(f"Recognised as {chosen.title}: {chosen.why}.")
        else:
            best = found[0] if found else None
            self.preset_why.setText(
                "No vendor preset: the columns are mapped by their names."
                + (f" Closest: {best.title} ({best.why})." if best and best.score > 0 else ""))

    def proposal(self) -> ingest.Proposal | None:
        head = self.state.head
        return head.proposal if head is not None else None

    def _fill_proposal(self, mapping: ingest.Mapping) -> None:
        """The notes of the proposal, its unsettled day/month order and its files."""
        proposal = self.proposal()
        order = proposal.date_order if proposal is not None else None
        if order is not None and mapping.time_format not in (order.chosen, order.other):
            order = None  # a loaded mapping, or a format the user typed: theirs
        self.date_order.clear()
        for fmt, label, _ in (order.readings() if order else []):
            self.date_order.addItem(label, fmt)
        if order is not None:
            self.date_order.setCurrentIndex(max(0, self.date_order.findData(mapping.time_format)))
            self.date_order_why.setText(
                f"No date in {order.column} has a day above 12, so the order cannot be told "
                "from the data: check which reading is right.")
        for widget in (self.date_order, self.date_order_label, self.date_order_why):
            widget.setVisible(order is not None)
        notes = [n for n in (proposal.notes if proposal else ())
                 if order is None or not n.startswith("Dates like")]
        self.notes.setText("\n".join(notes))
        self.notes.setVisible(bool(notes) and proposal is not None
                              and mapping == proposal.mapping)
        files = proposal.files if proposal is not None else ()
        self.file_choice.clear()
        for f in files:
            self.file_choice.addItem(Path(f.path).name, f.path)
        self.file_row.setVisible(len(files) > 1)
        self._file_chosen()

    def _file_chosen(self) -> None:
        proposal = self.proposal()
        path = self.file_choice.currentData()
        chosen = next((f for f in (proposal.files if proposal else ()) if f.path == path), None)
        self.file_detail.setText(
            f"read on its own: {chosen.describe()}. All files load as one batch, with the "
            "columns below (a list: the first one a file has)." if chosen else "")

    def _date_order_chosen(self) -> None:
        if self._filling:
            return
        fmt = self.date_order.currentData()
        if not fmt:
            return
        self._filling = True
        try:
            keys = [k for k, _ in TIME_FORMATS]
            self.time_format.setCurrentIndex(keys.index("custom"))
            self.custom_format.setText(fmt)
        finally:
            self._filling = False
        self._changed()

    def _preset_chosen(self) -> None:
        if self._filling or self.state.info is None or self.state.mapping is None:
            return
        name = self.preset.currentData()
        if name is None or name == (self.state.mapping.preset or presets.NONE):
            return
        source = self.state.mapping.source
        mapping = ingest.propose_mapping(self.state.info, name)
        self.state.mapping = mapping.model_copy(update={"source": source})
        self.state.mapping_loaded = False
        self.fill()

    @staticmethod
    def _index_of(combo: QComboBox, src: Any) -> int:
        if isinstance(src, list) and len(src) == 1:
            src = src[0]
        for i in range(combo.count()):
            if combo.itemData(i) == src:
                return i
        return 0

    # -- reading back ---------------------------------------------------------------------------

    def source_of(self, name: str) -> str | list[str] | None:
        data = self.combos[name].currentData()
        return list(data) if isinstance(data, list) else data

    def every_row_purchase(self) -> bool:
        return self.source_of("event_type") == _EVERY_ROW

    def time_format_value(self) -> str:
        key = self.time_format.currentData()
        return self.custom_format.text().strip() if key == "custom" else str(key)

    def _changed(self) -> None:
        if self._filling or self.state.mapping is None or self.state.info is None:
            return
        self.custom_format.setEnabled(self.time_format.currentData() == "custom")
        columns = {n: s for n in FIELDS
                   if (s := self.source_of(n)) is not None and s != _EVERY_ROW}
        fmt = self.time_format_value()
        defaults = self.state.mapping.defaults.model_copy(
            update={"event_name": "purchase" if self.every_row_purchase() else None})
        # Rows of an order status read as refunded purchases: only while that status is the
        # event column.
        refunded = self.state.mapping.refunded_events if columns.get("event_type") == \
            self.state.mapping.columns.get("event_type") else []
        self.state.mapping = self.state.mapping.model_copy(update={
            "refunded_events": refunded,
            "columns": columns, "time_format": fmt or "auto", "defaults": defaults,
            "keep_unmapped": self.keep_unmapped.isChecked(),
            "time_zone": self.time_zone.currentData()})
        self.state.validation = None
        info = self.state.info
        derived = self._derived_samples()
        for name, label in self.samples.items():
            src = self.source_of(name)
            if src == _EVERY_ROW:
                refund = self.state.mapping.order_refund
                label.setText("purchase, on every row (an order export: a line per row)" + (
                    f"; a refund per order with a {refund.amount}" if refund else ""))
                label.setToolTip("")
                continue
            first = src[0] if isinstance(src, list) else src
            col = info.column(first) if first else None
            if name in derived:
                # A reference into nested data (items[].price) or a first-non-empty list: the
                # values as the mapping reads them.
                values = ", ".join(derived[name][:4]) or "(empty in the sample)"
                label.set_sample(values, "   [as mapped]")
                label.setToolTip("\n".join(derived[name]))
                continue
            if col is None:
                default = self.defaults.get(name)
                label.setText(f"default when not mapped: {default}" if default else "")
                label.setToolTip("")
                continue
            values = ", ".join(col.samples[:4]) or "(empty in the sample)"
            label.set_sample(values, f"   [{col.type}]")
            label.setToolTip("\n".join(col.samples[:12]))
        names = {c.name for c in info.columns}
        used = {r.split(".")[0] for u in self.state.mapping.used_columns()
                for r in refs.roots(u, names)}
        rest = [c.name for c in info.top_columns if c.name not in used]
        where = "go into properties (JSON)" if self.keep_unmapped.isChecked() else "are not imported"
        # A wide export (Snowplow's 131 fields) would push the mapping out of sight.
        shown = ", ".join(rest[:16]) + (f" and {len(rest) - 16} more" if len(rest) > 16 else "")
        self.unmapped.setText(
            f"Unmapped source columns that {where}: {shown}." if rest
            else "Every source column is mapped.")
        self.unmapped.setToolTip(", ".join(rest))
        self.problem.setText(self.problem_text())
        self.completeChanged.emit()

    def _derived_samples(self) -> dict[str, tuple[str, ...]]:
        """Sample values of the fields whose source is not one plain column (read from the
        first rows, once per mapping)."""
        info, mapping = self.state.info, self.state.mapping
        if info is None or mapping is None:
            return {}
        fields = [n for n in FIELDS if (src := self.source_of(n)) is not None and src != _EVERY_ROW
                  and (isinstance(src, list) or info.column(src) is None)]
        key = (mapping.model_dump_json(include={"columns", "explode", "explode_events",
                                                "fill_down", "source"}), tuple(fields))
        if getattr(self, "_derived_key", None) != key:
            self._derived_key = key
            self._derived = mapped_samples(info, mapping, fields) if fields else {}
        return self._derived

    def problem_text(self) -> str:
        missing = [n for n in contract.REQUIRED_SOURCE_COLUMNS if self.source_of(n) is None]
        if missing:
            return (f"Choose a source column for {', '.join(missing)}: every event needs a time, "
                    "an event name and a user, so Next stays disabled until they are mapped.")
        if self.time_format.currentData() == "custom" and not self.custom_format.text().strip():
            return "Type the custom time format (for example %d/%m/%Y %H:%M), or choose automatic."
        return ""

    def isComplete(self) -> bool:
        return self.state.mapping is not None and not self.problem_text()


class SampleLabel(QLabel):
    """A field's sample values and, after them, their type: the values are cut (…) to the
    width there is, so the type always shows."""

    def __init__(self) -> None:
        super().__init__()
        self.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.setMinimumWidth(200)
        self.setTextFormat(Qt.TextFormat.PlainText)
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self._parts: tuple[str, str] | None = None

    def setText(self, text: str) -> None:
        self._parts = None
        super().setText(text)

    def set_sample(self, values: str, suffix: str) -> None:
        self._parts = (values, suffix)
        self._fit()

    def _fit(self) -> None:
        if self._parts is None:
            return
        values, suffix = self._parts
        metrics = self.fontMetrics()
        room = max(40, self.width() - metrics.horizontalAdvance(suffix) - 4)
        QLabel.setText(self, metrics.elidedText(values, Qt.TextElideMode.ElideRight, room) + suffix)

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._fit()
