"""The import wizard: files → detected format → column mapping → event names → validation →
load → summary, on the same core functions as ``shoplytics import``."""

from shoplytics_desktop.ui.import_wizard.wizard import ImportWizard

__all__ = ["ImportWizard"]
