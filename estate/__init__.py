"""estate: a standardisation consolidation analyser for IT estates.

Loads department inventories, recognises the products and capabilities in them, builds
one graph of the estate, finds duplicate implementations and proposes consolidation
clusters, then writes reports a person can read.
"""

__version__ = "0.1.0"
