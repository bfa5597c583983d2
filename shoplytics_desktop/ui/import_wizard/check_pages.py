"""Pages 4–5: the source's event names ← contract types, then a dry run of the whole import."""

from __future__ import annotations

import html

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QHeaderView,
    QLabel,
    QProgressBar,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
)

from shoplytics_desktop.core import contract, ingest
from shoplytics_desktop.ui.errors import show_error
from shoplytics_desktop.ui.import_wizard.common import (
    ImportState,
    JobPage,
    RowsModel,
    set_kind,
    status_label,
)
from shoplytics_desktop.ui.import_wizard.jobs import Validation, counts_job, validate_job
from shoplytics_desktop.ui.table_view import CopyableTableView

AUTO = "__auto__"
MAX_NAMES = 300


def _busy_bar() -> QProgressBar:
    bar = QProgressBar()
    bar.setRange(0, 0)
    bar.setMaximumHeight(12)
    bar.setTextVisible(False)
    bar.hide()
    return bar


def _number(n: int) -> QTableWidgetItem:
    item = QTableWidgetItem(f"{n:,}")
    item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
    return item


class EventNamesPage(JobPage):
    def __init__(self, ws: object, state: ImportState) -> None:
        super().__init__()
        self.ws, self.state = ws, state
        self.setTitle("Event names")
        self.setSubTitle("Every event name in the source, how often it occurs, and the contract "
                         "type it becomes. Change a type to map a name differently.")
        self.bar = _busy_bar()
        self.status = status_label("")
        self.table = QTableWidget(0, 3)
        self.table.setHorizontalHeaderLabels(["Source event name", "Rows", "→ Contract event type"])
        self.table.verticalHeader().hide()
        self.table.setAlternatingRowColors(True)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.Fixed)
        header.resizeSection(2, 300)
        self.table.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 14)
        self.combos: dict[str, QComboBox] = {}
        self.counts: dict[str, int] = {}
        layout = QVBoxLayout(self)
        layout.addWidget(self.bar)
        layout.addWidget(self.status)
        layout.addWidget(self.table, 1)

    def initializePage(self) -> None:
        self.refresh()

    def cleanupPage(self) -> None:
        self.stop_job()

    def refresh(self) -> None:
        """Count the names again (the mapping, or the file, may have changed)."""
        if self.state.info is None or self.state.mapping is None:
            return
        self.table.setRowCount(0)
        self.combos.clear()
        self.status.setText("Counting the event names in the whole source…")
        self.bar.show()
        self.run_job(counts_job, self.ws, self.state.info, self.state.mapping, workspace=self.ws,
                     on_result=self._counted, on_error=self._failed_count)

    def job_finished(self) -> None:
        self.bar.hide()

    def _failed_count(self, error: BaseException) -> None:
        self.status.setText("The event names could not be counted: "
                            f"{getattr(error, 'message', error)} Go Back to change the mapping.")

    def _counted(self, counts: list[ingest.EventNameCount]) -> None:
        # A name may come out as two types (a bare "view" is a product view only with a product).
        merged: dict[str, dict[str, int]] = {}
        for c in counts:
            types = merged.setdefault("" if c.name is None else c.name, {})
            types[c.event_type or "other"] = types.get(c.event_type or "other", 0) + c.count
        overrides = self.state.mapping.event_types if self.state.mapping else {}
        ranked = sorted(merged.items(), key=lambda kv: -sum(kv[1].values()))
        # A combo box per name: thousands of names (URLs used as names, say) would freeze the
        # page, and the rare ones follow the default rules anyway.
        shown_names = ranked[:MAX_NAMES]
        self.table.setRowCount(len(shown_names))
        self.counts = {name: sum(types.values()) for name, types in ranked}
        for row, (name, types) in enumerate(shown_names):
            total = self.counts[name]
            shown = QTableWidgetItem(name if name else "(empty)")
            self.table.setItem(row, 0, shown)
            self.table.setItem(row, 1, _number(total))
            combo = QComboBox()
            combo.setAccessibleName(f"Event type for {name}")
            if len(types) > 1:
                combo.addItem("automatic: " + " / ".join(sorted(types)), AUTO)
            for t in contract.EVENT_TYPES:
                combo.addItem(t, t)
            chosen: str = overrides.get(name) or (AUTO if len(types) > 1 else next(iter(types)))
            combo.setCurrentIndex(max(0, combo.findData(chosen)))
            combo.currentIndexChanged.connect(lambda _i, n=name, c=combo: self._set_type(n, c))
            if not name:
                # Rows without a name cannot be mapped by name (they are rejected or "other").
                combo.setEnabled(False)
            self.combos[name] = combo
            self.table.setCellWidget(row, 2, combo)
        n = sum(self.counts.values())
        text = f"{len(merged):,} event name{'s' if len(merged) != 1 else ''} in {n:,} rows."
        if len(ranked) > MAX_NAMES:
            text += (f" The {MAX_NAMES:,} most frequent are listed; the other "
                     f"{len(ranked) - MAX_NAMES:,} follow the default rules (or a saved mapping).")
        self.status.setText(text)

    def _set_type(self, name: str, combo: QComboBox) -> None:
        mapping = self.state.mapping
        if mapping is None:
            return
        types = dict(mapping.event_types)
        value = combo.currentData()
        if value == AUTO:
            types.pop(name, None)
        else:
            types[name] = value
        self.state.mapping = mapping.model_copy(update={"event_types": types})
        self.state.validation = None

    def isComplete(self) -> bool:
        return not self.busy and bool(self.combos)


class ValidationPage(JobPage):
    """The import as a dry run: counts, grouped reasons with examples, the first mapped rows."""

    def __init__(self, ws: object, state: ImportState) -> None:
        super().__init__()
        self.ws, self.state = ws, state
        self.setTitle("Validation")
        self.setSubTitle("Every row checked against the event contract. Nothing has been written yet.")
        self.bar = QProgressBar()
        self.bar.setRange(0, 0)
        self.bar.setMaximumHeight(14)
        self.message = status_label("")
        self.summary = status_label("")
        font = self.summary.font()
        font.setPointSizeF(font.pointSizeF() * 1.15)
        self.summary.setFont(font)
        self.reasons = QTableWidget(0, 4)
        self.reasons.setHorizontalHeaderLabels(["Reason", "Rows", "Example lines", "Example source row"])
        self.reasons.verticalHeader().hide()
        self.reasons.setWordWrap(False)
        rh = self.reasons.horizontalHeader()
        rh.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        rh.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        rh.setSectionResizeMode(2, QHeaderView.ResizeMode.ResizeToContents)
        rh.setStretchLastSection(True)
        self.model = RowsModel()
        self.preview = CopyableTableView()
        self.preview.setModel(self.model)
        self.warnings = status_label("warn")
        self.reasons_title = QLabel("<b>Rejected rows by reason</b>")
        self.preview_title = QLabel()
        layout = QVBoxLayout(self)
        layout.addWidget(self.bar)
        layout.addWidget(self.message)
        layout.addWidget(self.summary)
        layout.addWidget(self.warnings)
        layout.addWidget(self.reasons_title)
        layout.addWidget(self.reasons)
        layout.addSpacing(6)
        layout.addWidget(self.preview_title)
        layout.addWidget(self.preview, 1)

    def initializePage(self) -> None:
        state = self.state
        if state.info is None or state.mapping is None:
            return
        state.validation = None
        self.summary.setText("")
        self.warnings.setText("")
        self.reasons.setRowCount(0)
        self.model.highlight = None
        self.model.set_rows([], [])
        self.preview_title.setText("")
        self.message.setText("Validating…")
        self.bar.setRange(0, 0)
        self.bar.show()
        self.run_job(validate_job, self.ws, state.info, state.mapping, workspace=self.ws,
                     pass_reporter=True, on_result=self._validated, on_error=self._failed,
                     on_progress=self._progress)

    def cleanupPage(self) -> None:
        self.stop_job()

    def job_finished(self) -> None:
        self.bar.hide()

    def _progress(self, done: float, total: float, message: str) -> None:
        if total:
            self.bar.setRange(0, int(total))
            self.bar.setValue(int(done))
        if message:
            self.message.setText(message)

    def _failed(self, error: BaseException) -> None:
        self.message.setText("Validation failed: "
                             f"{getattr(error, 'message', error)} Go Back to change the mapping.")

    def _validated(self, result: Validation) -> None:
        self.state.validation = result
        r = result.report
        self.message.setText("")
        self.summary.setText(
            f"{r.read_text}: <b>{r.rows_loaded:,} would load</b>, "
            f"{r.rows_duplicate:,} duplicate, {r.rows_rejected:,} rejected"
            + (f" ({r.duplicates_existing:,} already in the workspace)" if r.duplicates_existing else "")
            + "." + (f"<br>{html.escape(r.replaced_note())}" if r.replaces else ""))
        set_kind(self.summary, "error" if result.problem else ("warn" if r.rows_rejected else "success"))
        # Loadable, but the funnel would miss steps: say so, naming the names to map (Back).
        self.warnings.setText("\n".join(f"Warning: {w[:1].upper()}{w[1:]}." for w in r.warnings)
                              + ("\nGo Back to the event names to map them."
                                 if any("mapped to 'other'" in w for w in r.warnings) else ""))
        self.warnings.setVisible(bool(r.warnings))
        self.reasons.setRowCount(len(r.reasons))
        for row, reason in enumerate(r.reasons):
            self.reasons.setItem(row, 0, QTableWidgetItem(reason.reason))
            self.reasons.setItem(row, 1, _number(reason.count))
            where = ", ".join(
                f"{_short(e.file)}:{e.line}" if e.line is not None else _short(e.file)
                for e in reason.examples)
            self.reasons.setItem(row, 2, QTableWidgetItem(where))
            first = reason.examples[0].source_row if reason.examples else None
            item = QTableWidgetItem(first or "")
            item.setToolTip("\n".join(e.source_row or "" for e in reason.examples))
            self.reasons.setItem(row, 3, item)
        self.reasons_title.setText("<b>Rejected rows by reason</b>" if r.reasons
                                   else "<b>Rejected rows by reason:</b> none")
        self.reasons.setVisible(bool(r.reasons))
        self._fit_reasons()
        cols, rows = list(result.preview_columns), [list(r) for r in result.preview_rows]
        if "__reason" in cols:
            # The reason explains the row, so it leads when some row has one; else it is noise.
            i = cols.index("__reason")
            reasons = [r.pop(i) for r in rows]
            cols.pop(i)
            if any(reasons):
                cols.insert(0, "rejected because")
                rows = [[why, *r] for why, r in zip(reasons, rows, strict=True)]
                self.model.highlight = 0
        self.model.set_rows(cols, rows)
        self.preview.resizeColumnsToContents()
        self.preview_title.setText(f"<b>The first {len(rows)} rows as they would load</b>"
                                   + (" (rows with a reason would be rejected)"
                                      if self.model.highlight is not None else ""))
        if result.problem is not None:
            self.message.setText(f"{result.problem.message} {result.problem.hint}")
            show_error(self, result.problem)
        self.completeChanged.emit()

    def _fit_reasons(self) -> None:
        """As tall as its rows (up to six), so the preview gets the rest of the page."""
        table = self.reasons
        shown = min(table.rowCount(), 6)
        height = table.horizontalHeader().height() + 2 * table.frameWidth()
        height += sum(table.rowHeight(r) for r in range(shown))
        table.setFixedHeight(height + (table.horizontalScrollBar().sizeHint().height() if shown else 0))

    def isComplete(self) -> bool:
        v = self.state.validation
        return not self.busy and v is not None and v.problem is None


def _short(path: str) -> str:
    return path.replace("\\", "/").rsplit("/", 1)[-1]
