"""Resolve raw vendor, product and capability text to catalogue entries.

Public API (contract shared with the later stages):

``resolve_products(systems, catalogue, settings) -> NormalisedSystems``
    Works on the *unique* raw strings, never row by row, and adds these columns to a copy
    of the systems table: ``product_id`` (catalogue id, ``unrecognised:<slug>`` for a
    group of unknown names that resemble each other, ``<NA>`` when the row names no
    product at all), ``product_name``, ``vendor_name``, ``capability_id``,
    ``capability_name``, ``capability_group``, ``match_stage`` (``exact``, ``tokens``,
    ``fuzzy``, ``unrecognised`` or ``none``), ``match_score`` (0-100) and
    ``match_input`` (the raw text that was matched).
"""
