"""Duplicate finding: exact rules (email, phone, domain), fuzzy rules (names with blocking)
and the likely-duplicate check for one incoming record. Merge and the review queue sit on top."""
