"""Training: what a run is asked to do, which tracks it uses, the runner and background jobs.

Fits a model family (core.models) on features (core.features); it may use core.evaluation and below.
"""
