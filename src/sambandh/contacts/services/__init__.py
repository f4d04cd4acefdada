"""Every write to companies, contacts, notes and tags: validated, permission-checked, written
in one transaction with its audit entry, domain event and search document.

``cleaning`` holds the field cleaners and shared helpers; ``records`` contacts and companies;
``notes`` and ``tags`` the rest. Callers import from here.
"""

from __future__ import annotations

from sambandh.contacts.services.cleaning import ACCOUNT_FIELDS, CONTACT_FIELDS, contact_document
from sambandh.contacts.services.export import export_started
from sambandh.contacts.services.notes import note_create, note_delete, note_update
from sambandh.contacts.services.records import (
    account_create,
    account_delete,
    account_update,
    contact_create,
    contact_delete,
    contact_update,
)
from sambandh.contacts.services.tags import tag_create, tag_delete, tag_update

__all__ = [
    "ACCOUNT_FIELDS",
    "CONTACT_FIELDS",
    "account_create",
    "account_delete",
    "account_update",
    "contact_create",
    "contact_delete",
    "contact_document",
    "contact_update",
    "export_started",
    "note_create",
    "note_delete",
    "note_update",
    "tag_create",
    "tag_delete",
    "tag_update",
]
