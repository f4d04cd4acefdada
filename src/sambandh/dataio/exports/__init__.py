"""Exports of the lists (contacts, companies, deals, orders, activities): what each kind
writes (``kinds``), a small selection streamed at once and a large one written to a file by a
worker (``services``, ``tasks``), the list of one's exports and its downloads (``views``,
``api``). The writers are ``sambandh.core.exporting``'s.
"""
