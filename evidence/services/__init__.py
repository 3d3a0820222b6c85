"""Writes about evidence, one module per subject: ``items``, ``files`` (uploads, redactions),
``custody`` (events and hand-overs) and ``fixity``. Each checks what the actor may do, owns its
transaction and writes its audit row in it; custody changes append to the item's chain. The
names below are the evidence services' API for the rest of the code."""

from evidence.services.custody import (
    CUSTODY_STEPS,
    NEEDS_EXTERNAL_RECIPIENT,
    custody_record,
    transfer_accept,
    transfer_cancel,
    transfer_initiate,
)
from evidence.services.files import FileAdded, file_add, redaction_approve
from evidence.services.fixity import fixity_check
from evidence.services.items import ITEM_FIELDS, item_create, item_update

__all__ = [
    "CUSTODY_STEPS",
    "ITEM_FIELDS",
    "NEEDS_EXTERNAL_RECIPIENT",
    "FileAdded",
    "custody_record",
    "file_add",
    "fixity_check",
    "item_create",
    "item_update",
    "redaction_approve",
    "transfer_accept",
    "transfer_cancel",
    "transfer_initiate",
]
