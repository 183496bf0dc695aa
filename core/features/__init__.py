"""Features: the study's per-segment features, Kaggle's descriptors, augmentation, musicnn's input.

Turns decoded audio (core.data) into arrays; it may use core.data and the modules below it.
"""
