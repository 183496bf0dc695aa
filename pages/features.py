"""Features: one clip seen as the models see it, then the segment features across the data set."""


import numpy as np
import streamlit as st

from core.report import figures
from core.constants import (
    GENRES, HOP_LENGTH, MAX_UPLOAD_BYTES, N_FFT, N_MELS, N_MFCC, SAMPLE_RATE,
    SEGMENT_SECONDS, ZCR_FRAME,
)
from pages import data_source, layout, loaders

layout.require_app()

PITCH_CLASSES = ("C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B")


@st.cache_data(show_spinner="Computing spectrograms…", max_entries=8)
def clip_views(key: str, _y: np.ndarray) -> dict[str, np.ndarray]:
    """core.features.explore.clip_views of a clip, cached under key."""
    from core.features.explore import clip_views as views

    return views(_y)


@st.cache_data(show_spinner="Decoding the upload…", max_entries=4)
def upload_clip(digest: str, _data: bytes, name: str) -> np.ndarray:
    """A pre-processed uploaded clip (keyed by its SHA-1 digest)."""
    from core.data.audio import load_clip

    return load_clip(_data, name=name)


@st.cache_data(show_spinner=False, max_entries=8)
def embed(key: str, method: str, _X: np.ndarray) -> np.ndarray:
    """core.features.explore.segment_map of X, cached under key and method."""
    from core.features.explore import segment_map

    return segment_map(_X, method)


st.title("Features")
layout.training_notice()
source = data_source.active_source()
layout.synthetic_notice(source)
st.markdown("The study turns each clip into numbers in three ways: the **zero-crossing rate** "
            "over time, **MFCCs** (a compact summary of the spectrum's shape) and the "
            "**mel-spectrogram** (energy per pitch band over time). Pick a clip to see them.")

# --- choose a clip --------------------------------------------------------------------------
mode = st.segmented_control("Clip", ["From the data set", "Upload a clip"],
                            default="From the data set", key="clip_mode")
y, clip_key, clip_name = None, None, None
if mode == "Upload a clip":
    upload = st.file_uploader("Audio file", type=layout.UPLOAD_TYPES, key="upload",
                              help=f"Up to {MAX_UPLOAD_BYTES // 2**20} MB; at least 3 s of sound.")
    if upload is not None:
        data = upload.getvalue()
        if len(data) > MAX_UPLOAD_BYTES:
            st.error(f"{upload.name} is {len(data) / 2**20:.1f} MB; the limit is "
                     f"{MAX_UPLOAD_BYTES // 2**20} MB.")
        else:
            digest = loaders.upload_sha1(upload)
            try:
                y = upload_clip(digest, data, upload.name)
                clip_key, clip_name = f"upload:{digest}", upload.name
            except Exception as exc:  # noqa: BLE001 - AudioError and decoder errors, shown
                layout.show_error(f"{upload.name} cannot be used", exc)
    else:
        st.caption("Drop a wav, mp3, ogg, flac or au file above.")
else:
    genres = [g for g in GENRES if any(t.genre == g for t in source.tracks)]
    c1, c2 = st.columns(2)
    genre = c1.selectbox("Genre", genres, key="feature_genre")
    ids = [t.track_id for t in source.tracks if t.genre == genre]
    track_id = c2.selectbox("Clip", ids, key="feature_track")
    track = next(t for t in source.tracks if t.track_id == track_id)
    try:
        y = loaders.audio_of(track)
        clip_key = f"{track.path}:{track.path.stat().st_mtime}"
        clip_name = track.track_id
    except Exception as exc:  # noqa: BLE001 - AudioError and decoder errors, shown
        layout.show_error(f"{track_id} cannot be used", exc)

# --- one clip -------------------------------------------------------------------------------
if y is not None:
    views = clip_views(clip_key, y)
    n_seg = int(len(y) // (SEGMENT_SECONDS * SAMPLE_RATE))
    cols = st.columns(4)
    cols[0].metric("Length after cleaning", f"{len(y) / SAMPLE_RATE:.1f} s", border=True)
    cols[1].metric("3-s segments", n_seg, border=True)
    cols[2].metric("Mean ZCR", f"{float(views['zcr'].mean()):.3f}", border=True)
    cols[3].metric("Spectral centroid", f"{float(views['centroid'].mean()):.0f} Hz",
                   border=True)
    st.audio(y, sample_rate=SAMPLE_RATE)
    st.caption(f"{clip_name}, as the models hear it: mono, 22050 Hz, rumble below 40 Hz removed, "
               "silent ends trimmed, loudest sample scaled to 1.")

    tabs = st.tabs(["Waveform", "Spectrogram", "Mel-spectrogram", "MFCCs", "Zero-crossing rate",
                    "More descriptors"])
    with tabs[0]:
        layout.plot(figures.waveform(y, SAMPLE_RATE, segments=True,
                                     title="Waveform cut into 3-s segments"), key="fig_wave")
        st.caption("Amplitude against time. The shaded bands are the 3-s segments the models "
                   "classify one by one; a tail shorter than 3 s (red) is dropped.")
    with tabs[1]:
        scale = st.radio("Scale", ["dB", "linear"], horizontal=True, key="stft_scale")
        if scale == "dB":
            fig = figures.spectrogram(views["stft_db"], SAMPLE_RATE, HOP_LENGTH, "db")
        else:
            fig = figures.spectrogram(views["magnitude"], SAMPLE_RATE, HOP_LENGTH, "linear")
        layout.plot(fig, key="fig_stft")
        st.caption(f"Short-time Fourier transform (window {N_FFT}, hop {HOP_LENGTH} samples): "
                   "how strong each frequency is over time. On a linear scale only the loudest "
                   "partials show; in dB (0 = the loudest point) the quiet detail appears.")
    with tabs[2]:
        layout.plot(figures.spectrogram(views["mel_db"], SAMPLE_RATE, HOP_LENGTH, "mel"),
                    key="fig_mel")
        st.caption(f"The same energy on {N_MELS} mel bands, spaced like human pitch perception. "
                   "The 2D-CNN looks at 3-s pieces of this image.")
    with tabs[3]:
        layout.plot(figures.mfcc_heatmap(views["mfcc"], SAMPLE_RATE, HOP_LENGTH), key="fig_mfcc")
        st.caption(f"{N_MFCC} MFCCs per frame: coefficient 1 follows loudness, the next ones the "
                   "broad shape of the spectrum (timbre). The LSTM and SVM use their mean and "
                   "variance over each segment; the 1D-CNN reads the first 15 s directly.")
    with tabs[4]:
        times = (np.arange(views["zcr"].size) + 0.5) * ZCR_FRAME / SAMPLE_RATE
        layout.plot(figures.feature_curves(times, {"ZCR": views["zcr"]}, "Zero-crossing rate",
                                           "fraction of samples"), key="fig_zcr")
        st.caption("How often the waveform changes sign in each 100-ms window (30 per segment, "
                   "the study's time-domain feature). Hiss and cymbals push it up.")
    with tabs[5]:
        frame_t = np.arange(views["centroid"].size) * HOP_LENGTH / SAMPLE_RATE
        layout.plot(figures.feature_curves(frame_t, {"spectral centroid": views["centroid"]},
                                           "Spectral centroid", "Hz"), key="fig_centroid")
        layout.plot(figures.feature_curves(frame_t, {"RMS": views["rms"]}, "Loudness (RMS)",
                                           "RMS (full scale 1)"), key="fig_rms")
        layout.plot(figures.feature_heatmap(views["chroma"], SAMPLE_RATE, HOP_LENGTH,
                                            PITCH_CLASSES, "Chroma", "Viridis"), key="fig_chroma")
        st.caption("Extra descriptors: the spectral centroid is the spectrum's centre of mass "
                   "(brightness), RMS the loudness of each frame, chroma the energy of each of "
                   "the 12 pitch classes (harmony).")

# --- across the data set --------------------------------------------------------------------
st.header("Segment features across the data set")
features = loaders.source_features(source)
if features is not None and features.n_segments:
    from core.features.study import EXTRA_NAMES

    seg_genres = np.asarray(GENRES)[features.segment_label]
    options = {"ZCR (mean over the segment)": features["zcr"].mean(axis=1)}
    options.update({f"MFCC {k + 1} mean": features["mfcc_stats"][:, k] for k in range(N_MFCC)})
    options.update({f"MFCC {k + 1} variance": features["mfcc_stats"][:, N_MFCC + k]
                    for k in range(N_MFCC)})
    options.update({name.replace("_", " "): features["extras"][:, i]
                    for i, name in enumerate(EXTRA_NAMES)})
    c1, c2 = st.columns([3, 1])
    choice = c1.selectbox("Feature", list(options), key="dist_feature")
    violin = c2.toggle("Violins", key="dist_violin")
    layout.plot(figures.distribution_by_genre(options[choice], seg_genres, choice, choice,
                                              violin=violin), key="fig_dist")
    st.caption(f"One value per 3-s segment ({features.n_segments} segments of "
               f"{features.track_ids.size} clips), grouped by genre. Where the boxes barely "
               "overlap, this single number already tells genres apart.")

    st.subheader("Map of all segments")
    c1, c2 = st.columns([3, 1])
    basis = c1.radio("Features", ["MFCC statistics (60 numbers)", "ZCR sequence (30 numbers)"],
                     horizontal=True, key="map_basis")
    use_tsne = c2.checkbox("t-SNE instead of PCA", key="map_tsne",
                           help="Slower; keeps near neighbours together rather than variance.")
    from core.features import explore

    X = features["mfcc_stats"] if basis.startswith("MFCC") else features["zcr"]
    method = "t-SNE" if use_tsne else "PCA"
    idx = explore.map_sample(len(X), method)
    shown = (f"a random {len(idx):,} of the {len(X):,} segments (the same ones each time: "
             "t-SNE's cost grows quickly with the number of points)" if len(idx) < len(X)
             else f"all {len(X):,} segments")
    key = f"{source.root}:{features.n_segments}:{basis}:{len(idx)}"
    # one slot for the wait and the map, so a long t-SNE shows one spinner in the map's place
    # and leaves the controls above it alone
    slot = st.empty()
    try:
        with slot.container():
            with st.spinner(f"Placing {len(idx):,} segments by {method}…"):
                points = embed(key, method, X[idx])
        axes = ("PC 1", "PC 2") if method == "PCA" else ("t-SNE 1", "t-SNE 2")
        with slot.container():
            layout.plot(figures.segment_map(points, seg_genres[idx], f"{method} of {basis}",
                                            hover=features.segment_track[idx], axis_names=axes),
                        key="fig_map")
            st.caption(f"Each dot is a 3-s segment ({shown}) placed so that segments with "
                       "similar features lie close together, coloured by genre. Separate clouds "
                       "mean the feature separates those genres; mixed clouds mean a classifier "
                       "will confuse them.")
    except ValueError as exc:
        layout.show_error("The map cannot be drawn", exc)
elif features is not None:
    st.warning("No clip could be analysed; the Dataset page lists the skipped files.")
