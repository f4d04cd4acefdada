"""Data in and out: reading uploaded files (CSV, XLSX, vCard) as tables, normalising their
cells, and suggesting how their columns map to our fields. Pure library code: import jobs,
their UI and undo build on it."""
