"""The import pipeline: inspect sources, propose a mapping, preview, validate, load, batches.

The app's import wizard and ``shoplytics import`` call the same functions, step by step::

    info = inspect_sources(paths)                 # format, dialect, columns, samples
    mapping = propose_mapping(info)               # editable; YAML via Mapping.to_yaml()
    event_name_counts(ws, info, mapping)          # names, counts, proposed types
    preview(ws, info, mapping, limit=10)          # a polars frame of mapped rows
    validate(ws, info, mapping)                   # counts + grouped reasons; writes nothing
    import_events(ws, paths, mapping, reporter)   # one transaction, one batch

The submodules are imported when a name is first asked for (``ingest.settle``, or
``from shoplytics_desktop.core.ingest import Mapping``): the importer brings pydantic and polars
(about 0.2 s), which opening a workspace, running the models or querying need none of.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from shoplytics_desktop.core.lazy import lazy_names

if TYPE_CHECKING:
    from shoplytics_desktop.core.ingest.batches import (
        BatchInfo,
        DeleteReport,
        delete_batch,
        fingerprint,
        list_batches,
    )
    from shoplytics_desktop.core.ingest.detect import SourceColumn, SourceInfo, inspect_sources
    from shoplytics_desktop.core.ingest.load import (
        catalog_files,
        find_side_files,
        import_events,
        side_file_notes,
    )
    from shoplytics_desktop.core.ingest.mapping import (
        Defaults,
        Mapping,
        SourceOptions,
        check_mapping,
        check_mapping_target,
        load_mapping,
        missing_required,
        propose_mapping,
        save_mapping,
    )
    from shoplytics_desktop.core.ingest.proposal import (
        DateOrder,
        FileProposal,
        Proposal,
        propose,
        refine,
    )
    from shoplytics_desktop.core.ingest.report import (
        CatalogReport,
        ImportReport,
        ReasonCount,
        RejectExample,
        ValidationReport,
    )
    from shoplytics_desktop.core.ingest.wizard import (
        EventNameCount,
        event_name_counts,
        prepare,
        preset_note,
        preview,
        propose_for,
        settle,
        validate,
    )

#: Each public name → the submodule that defines it.
_HOMES = {
    "BatchInfo": "batches",
    "CatalogReport": "report",
    "DateOrder": "proposal",
    "Defaults": "mapping",
    "DeleteReport": "batches",
    "EventNameCount": "wizard",
    "FileProposal": "proposal",
    "ImportReport": "report",
    "Mapping": "mapping",
    "Proposal": "proposal",
    "ReasonCount": "report",
    "RejectExample": "report",
    "SourceColumn": "detect",
    "SourceInfo": "detect",
    "SourceOptions": "mapping",
    "ValidationReport": "report",
    "check_mapping": "mapping",
    "delete_batch": "batches",
    "event_name_counts": "wizard",
    "fingerprint": "batches",
    "import_events": "load",
    "catalog_files": "load",
    "find_side_files": "load",
    "side_file_notes": "load",
    "inspect_sources": "detect",
    "list_batches": "batches",
    "load_mapping": "mapping",
    "missing_required": "mapping",
    "prepare": "wizard",
    "preset_note": "wizard",
    "preview": "wizard",
    "propose": "proposal",
    "propose_for": "wizard",
    "propose_mapping": "mapping",
    "refine": "proposal",
    "save_mapping": "mapping",
    "check_mapping_target": "mapping",
    "settle": "wizard",
    "validate": "wizard",
}


__getattr__, __dir__ = lazy_names(__name__, _HOMES, globals())


__all__ = [
    "BatchInfo",
    "CatalogReport",
    "DateOrder",
    "Defaults",
    "DeleteReport",
    "EventNameCount",
    "FileProposal",
    "ImportReport",
    "Mapping",
    "Proposal",
    "ReasonCount",
    "RejectExample",
    "SourceColumn",
    "SourceInfo",
    "SourceOptions",
    "ValidationReport",
    "catalog_files",
    "check_mapping",
    "check_mapping_target",
    "delete_batch",
    "event_name_counts",
    "find_side_files",
    "fingerprint",
    "import_events",
    "inspect_sources",
    "list_batches",
    "load_mapping",
    "missing_required",
    "prepare",
    "preset_note",
    "preview",
    "propose",
    "propose_for",
    "propose_mapping",
    "refine",
    "save_mapping",
    "settle",
    "side_file_notes",
    "validate",
]
