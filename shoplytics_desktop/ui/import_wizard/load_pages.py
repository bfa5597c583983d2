"""Pages 6–7: the import itself (one transaction, cancellable) and what it did."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QFormLayout,
    QLabel,
    QVBoxLayout,
)

from shoplytics_desktop.core import ingest
from shoplytics_desktop.ui.import_wizard.common import (
    ImportState,
    JobPage,
    set_kind,
    status_label,
)
from shoplytics_desktop.ui.import_wizard.jobs import import_job
from shoplytics_desktop.ui.progress_box import ProgressBox


class LoadPage(JobPage):
    def __init__(self, ws: object, state: ImportState) -> None:
        super().__init__()
        self.ws, self.state = ws, state
        self.setTitle("Loading")
        self.setSubTitle("Mapping, validating and loading every row in one transaction: "
                         "a cancel or an error leaves the workspace exactly as it was.")
        self.box = ProgressBox(self.cancel)
        self.bar, self.message, self.cancel_button = self.box.bar, self.box.message, self.box.cancel_button
        QVBoxLayout(self).addWidget(self.box)
        self.state_name = "idle"  # idle | running | done | cancelled | failed
        self.on_stopped: list[object] = []

    def initializePage(self) -> None:
        state = self.state
        assert state.mapping is not None
        state.report = None
        self.state_name = "running"
        self.box.start()
        # Files of a catalog alone are loaded as that (products, users), not as events.
        events = [] if state.head is not None and state.head.catalogs_only else list(state.paths)
        self.run_job(import_job, self.ws, events, state.mapping, workspace=self.ws,
                     pass_reporter=True, products=state.products, users=state.users,
                     replace_demo=state.replace_demo,
                     on_result=self._done, on_error=self._failed, on_cancelled=self._cancelled,
                     on_progress=self._progress)

    def isComplete(self) -> bool:
        return self.state_name == "done"

    def cleanupPage(self) -> None:
        """Going back while loading cancels: nothing is written."""
        self.cancel()

    def cancel(self) -> None:
        if self.worker is not None:
            self.box.cancelling()
            self.worker.cancel()

    def _progress(self, done: float, total: float, message: str) -> None:
        self.box.progress(done, total, message + "…" if message else "")

    def _done(self, report: ingest.ImportReport) -> None:
        self.state.report = report
        self.state_name = "done"
        self.box.finish()

    def _failed(self, error: BaseException) -> None:
        self.state_name = "failed"
        self.message.setText("The import failed; the workspace is unchanged. "
                             f"{getattr(error, 'message', error)} Go Back to change the mapping, or close.")

    def _cancelled(self) -> None:
        self.state_name = "cancelled"
        self.message.setText("Cancelled: nothing was written, the workspace is unchanged. "
                             "Go Back to change the mapping, or close.")

    def job_finished(self) -> None:
        self.cancel_button.setEnabled(False)
        wizard = self.wizard()
        if self.state_name == "done" and wizard is not None and wizard.currentPage() is self:
            wizard.next()
        callbacks, self.on_stopped = self.on_stopped, []
        for callback in callbacks:
            callback()  # type: ignore[operator]


#: What a catalog's rows are, in the summary's headline.
_CATALOG_ROWS = {"products": "products", "users": "user profiles"}


class SummaryPage(JobPage):
    def __init__(self, state: ImportState) -> None:
        super().__init__()
        self.state = state
        self.setTitle("Import finished")
        self.setSubTitle("The events are in the workspace as one batch.")
        self.headline = status_label("success")
        form = QFormLayout()
        self.values: dict[str, QLabel] = {}
        for key, label in (("loaded", "Rows loaded:"), ("duplicate", "Duplicates skipped:"),
                           ("rejected", "Rows rejected:"), ("batch", "Batch id:"),
                           ("time", "Time taken:"), ("extra", "Side tables:"), ("notes", "Notes:"),
                           ("warnings", "Warnings:")):
            value = QLabel()
            value.setWordWrap(True)
            value.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            self.values[key] = value
            form.addRow(label, value)
        self.form = form
        self.hint = QLabel("Rejected rows are kept with their line and reason in "
                           "raw.rejected_events (Data page). An import can be undone in "
                           "File ▸ Import batches….")
        self.hint.setWordWrap(True)
        self.run_pipeline = QCheckBox("Run the pipeline now (build and test the marts)")
        self.run_pipeline.setChecked(True)
        layout = QVBoxLayout(self)
        layout.addWidget(self.headline)
        layout.addLayout(form)
        layout.addWidget(self.hint)
        layout.addStretch(1)
        layout.addWidget(self.run_pipeline)

    def initializePage(self) -> None:
        report = self.state.report
        if report is None:
            return
        v = report.validation
        v_loaded = v.rows_loaded if v else 0
        catalogs = [c for c in report.catalogs if c.batch_id]
        if report.batch_id:
            headline = f"{v_loaded:,} event{'' if v_loaded == 1 else 's'} loaded from {report.source}."
        elif v is None and catalogs:
            headline = "No events; " + ", ".join(
                f"{c.rows_loaded:,} {_CATALOG_ROWS[c.kind]}" for c in catalogs) + " loaded."
        else:
            headline = "Nothing new was loaded: these rows are already in the workspace."
        self.headline.setText(headline)
        # A catalog alone: its own batch, and no event rows to count.
        self.setSubTitle("The events are in the workspace as one batch." if v is not None else
                         "Each file is in the workspace as a batch of its own.")
        for key in ("loaded", "duplicate", "rejected", "batch"):
            self.form.setRowVisible(self.values[key], v is not None)
        val = self.values
        val["loaded"].setText(f"{v_loaded:,}")
        val["duplicate"].setText(
            f"{v.rows_duplicate:,}" + (f" ({v.duplicates_existing:,} already in the workspace)"
                                       if v.duplicates_existing else "") if v else "0")
        val["rejected"].setText(f"{v.rows_rejected:,}" if v else "0")
        val["batch"].setText(report.batch_id or "— (no new batch)")
        val["time"].setText(f"{report.seconds:.1f} s")
        extra = "; ".join(f"{c.kind}: {c.rows_loaded:,} loaded, {c.rows_duplicate:,} duplicate, "
                          f"{c.rows_rejected:,} rejected"
                          for c in report.catalogs)
        val["extra"].setText(extra)
        self.form.setRowVisible(val["extra"], bool(extra))
        val["notes"].setText("\n".join(report.notes))
        self.form.setRowVisible(val["notes"], bool(report.notes))
        # What only loading found (events imported before with other values): the check page
        # showed the rest.
        checked = self.state.validation.report.warnings if self.state.validation else ()
        found = [w for w in (v.warnings if v else ()) if w not in checked]
        val["warnings"].setText("\n".join(w[0].upper() + w[1:] + "." for w in found))
        set_kind(val["warnings"], "warn")
        self.form.setRowVisible(val["warnings"], bool(found))
        self.hint.setText(
            ("Rejected rows are kept with their line and reason in raw.rejected_events (Data "
             "page). " if v and v.rows_rejected else "")
            + (f"To undo this import: File ▸ Import batches…, batch {report.batch_id} "
               f"(or shoplytics batches delete {report.batch_id})" if report.batch_id else "")
            + (f"To undo this import: File ▸ Import batches…, batch "
               f"{' and '.join(str(c.batch_id) for c in catalogs)}."
               if v is None and catalogs else "")
            + ("; what it replaced comes back with File ▸ Restore backup… (the backup "
               "taken before this import)." if report.batch_id and v and v.replaces else ""))
