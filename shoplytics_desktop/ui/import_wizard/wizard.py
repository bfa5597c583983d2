"""The import wizard window: the pages in order, mapping presets, closing safely mid-import."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from PySide6.QtWidgets import QFileDialog, QWidget, QWizard

from shoplytics_desktop.core import ingest
from shoplytics_desktop.core.errors import ImportError_, ShoplyticsError
from shoplytics_desktop.core.workspace import Workspace
from shoplytics_desktop.ui.errors import show_error
from shoplytics_desktop.ui.import_wizard.check_pages import EventNamesPage, ValidationPage
from shoplytics_desktop.ui.import_wizard.common import ImportState
from shoplytics_desktop.ui.import_wizard.load_pages import LoadPage, SummaryPage
from shoplytics_desktop.ui.import_wizard.mapping_page import MappingPage
from shoplytics_desktop.ui.import_wizard.source_pages import FilesPage, SourcePage

SAVE_BUTTON = QWizard.WizardButton.CustomButton1
LOAD_BUTTON = QWizard.WizardButton.CustomButton2
MAPPING_FILTER = "Mapping files (*.yml *.yaml);;All files (*)"


def reads_the_same(info: ingest.SourceInfo, source: ingest.SourceOptions) -> bool:
    """Whether files read with ``source`` come out as ``info`` already describes them."""
    return (source.format in ("auto", info.format)
            and source.delimiter in (None, info.delimiter)
            and source.header == info.header
            and source.encoding in (None, info.encoding))


class ImportWizard(QWizard):
    FILES, SOURCE, MAPPING, NAMES, VALIDATION, LOAD, SUMMARY = range(7)

    def __init__(self, ws: Workspace, files: Sequence[str] | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ws = ws
        self.state = ImportState()
        self.setWindowTitle("Import events")
        self.setOption(QWizard.WizardOption.NoBackButtonOnLastPage, True)
        self.setOption(QWizard.WizardOption.NoCancelButtonOnLastPage, True)
        self.files_page = FilesPage(self.state)
        self.source_page = SourcePage(self.state)
        self.mapping_page = MappingPage(self.state, ws.settings.time_zone)
        self.names_page = EventNamesPage(ws, self.state)
        self.validation_page = ValidationPage(ws, self.state)
        self.load_page = LoadPage(ws, self.state)
        self.summary_page = SummaryPage(self.state)
        for page_id, page in enumerate((self.files_page, self.source_page, self.mapping_page,
                                        self.names_page, self.validation_page, self.load_page,
                                        self.summary_page)):
            self.setPage(page_id, page)
        self.setButtonText(SAVE_BUTTON, "Save mapping…")
        self.setButtonText(LOAD_BUTTON, "Load mapping…")
        self.setOption(QWizard.WizardOption.HaveCustomButton1, True)
        self.setOption(QWizard.WizardOption.HaveCustomButton2, True)
        self.setButtonLayout([SAVE_BUTTON, LOAD_BUTTON, QWizard.WizardButton.Stretch,
                              QWizard.WizardButton.BackButton, QWizard.WizardButton.NextButton,
                              QWizard.WizardButton.FinishButton, QWizard.WizardButton.CancelButton])
        self.button(SAVE_BUTTON).setToolTip("Keep this mapping as a YAML file, to reuse it "
                                            "here or with shoplytics import --mapping FILE")
        self.button(LOAD_BUTTON).setToolTip("Use a mapping saved earlier (YAML)")
        self.customButtonClicked.connect(self._custom_button)
        self.currentIdChanged.connect(self._page_changed)
        self.source_page.completeChanged.connect(lambda: self._page_changed(self.currentId()))
        if files:
            self.files_page.add_paths([str(f) for f in files])
        self.resize(960, 720)
        self._page_changed(self.currentId())

    # -- what the main window reads ----------------------------------------------------------

    @property
    def report(self) -> ingest.ImportReport | None:
        return self.state.report

    @property
    def run_pipeline(self) -> bool:
        return self.state.report is not None and self.summary_page.run_pipeline.isChecked()

    def nextId(self) -> int:
        # Files that hold a catalog or customer list and no events need no mapping: loaded as
        # they are.
        if self.currentId() == self.SOURCE and self._catalogs_only():
            return self.LOAD
        return super().nextId()

    def _catalogs_only(self) -> bool:
        return self.state.head is not None and self.state.head.catalogs_only

    # -- mapping presets -----------------------------------------------------------------------

    def _page_changed(self, page_id: int) -> None:
        # A mapping can be saved once there is one, and loaded until the import starts.
        self.button(SAVE_BUTTON).setVisible(page_id < self.LOAD)
        self.button(LOAD_BUTTON).setVisible(page_id < self.LOAD)
        self.button(SAVE_BUTTON).setEnabled(self.state.mapping is not None
                                            and not self._catalogs_only())

    def _custom_button(self, which: int) -> None:
        if which == SAVE_BUTTON:
            path, _ = QFileDialog.getSaveFileName(self, "Save mapping", str(Path.home() / "mapping.yml"),
                                                  MAPPING_FILTER)
            if path:
                self.save_mapping_to(path)
        elif which == LOAD_BUTTON:
            path, _ = QFileDialog.getOpenFileName(self, "Load mapping", str(Path.home()), MAPPING_FILTER)
            if path:
                self.load_mapping_from(path)

    def save_mapping_to(self, path: str | Path) -> bool:
        if self.state.mapping is None:
            show_error(self, ImportError_("There is no mapping yet.",
                                          "Choose the files first; the mapping is proposed from them."))
            return False
        try:
            ingest.save_mapping(self.state.mapping, path)
        except ShoplyticsError as e:
            show_error(self, e)
            return False
        return True

    def load_mapping_from(self, path: str | Path) -> bool:
        """Use a saved mapping: checked against the files when they are known, then the mapping
        and event-name pages are filled from it."""
        info = self.state.info
        try:
            mapping = ingest.load_mapping(path)
            same_read = info is not None and reads_the_same(info, mapping.source)
            if info is not None and same_read:
                ingest.check_mapping(mapping, info)
        except ShoplyticsError as e:
            show_error(self, e)
            return False
        state = self.state
        state.mapping, state.mapping_loaded, state.validation = mapping, True, None
        state.read_options = None  # the mapping says how to read the files now
        if same_read:
            state.head_key = self.source_page.key()
        elif info is not None:
            # Other read options (delimiter, header…): the files are read again with them, and
            # the source page checks the mapping against what that finds.
            state.head_key = None
        page = self.currentId()
        if self.state.head_key is None and page >= self.SOURCE:
            # Every later page depends on how the files are read: read them again first.
            while self.currentId() > self.SOURCE:
                self.back()
            self.source_page.initializePage()
        elif page == self.MAPPING:
            self.mapping_page.fill()
        elif page == self.NAMES:
            self.mapping_page.fill()
            self.names_page.refresh()
        elif page == self.VALIDATION:
            self.mapping_page.fill()
            self.validation_page.initializePage()
        self._page_changed(self.currentId())
        return True

    # -- closing -------------------------------------------------------------------------------

    def reject(self) -> None:
        """Closing while loading cancels first, and closes once nothing is left half-done.
        After a load, closing counts as finishing: the data is there and the app must know."""
        if self.load_page.worker is not None:
            self.load_page.on_stopped.append(self.reject)
            self.load_page.cancel()
            return
        for page in (self.source_page, self.names_page, self.validation_page):
            page.stop_job()
        if self.state.report is not None:
            self.accept()
            return
        super().reject()
