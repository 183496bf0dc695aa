"""Data: decoding audio, finding GTZAN clips, artists, splits, coverage, downloads and the synthetic
demo set.

The bottom stage of the pipeline: it may use only core.constants, core.config and core.cluster.
"""
