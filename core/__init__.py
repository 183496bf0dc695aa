"""GenreLab engine: GTZAN data, features, models, evaluation and prediction (no Streamlit here)."""

__version__ = "0.1.0"
