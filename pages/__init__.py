"""Streamlit pages of GenreLab (registered by app.py through st.navigation) and their shared helpers."""
