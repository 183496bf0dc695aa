"""Report: the runs beside the study's figures, plotly figures, the Outside GTZAN section and the
self-contained HTML report.

Reads saved runs (core.models.persistence) and results; the pages and the CLI sit above it.
"""
