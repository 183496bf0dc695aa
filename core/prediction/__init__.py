"""Prediction: the model catalogue, a clip's features and verdicts, streams, batches, the headline
answer, models scored on a labelled folder from outside GTZAN, the warm-up, and the fair gate
through which a server's visitors take turns at model work (gate).

Scores clips with saved models through their families (core.models); never imports core.training.
"""
