"""Prediction: the model catalogue, a clip's features and verdicts, streams, batches, the warm-up.

Scores clips with saved models through their families (core.models); never imports core.training.
"""
