"""Shared test builders: hand-written landing folders, dbt on a test warehouse, the local enrichment server."""
