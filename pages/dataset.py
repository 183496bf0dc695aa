"""Dataset: clips per genre, a searchable track list with a player, waveforms, ZCR by genre,
skipped files and the train/validation/test split."""

import pandas as pd
import streamlit as st

from core import config
from core.report import figures
from core.constants import DEFAULT_SEED, GENRES
from pages import data_source, layout, loaders

layout.require_app()

st.title("Dataset")
layout.training_notice()
source = data_source.active_source()
layout.synthetic_notice(source)
st.caption(f"Source: {data_source.source_label(source)}"   # folder names only, in viewer mode
           + ("" if str(source.root) in source.label
              else f" — `{data_source.shown_path(source.root)}`"))

# the first visit reads every clip's header (seconds for a few hundred compressed clips): say so
# at once rather than leave the page blank
reading = st.empty()
reading.caption(f"Reading the headers of {len(source.tracks)} clips…")
df = loaders.tracks_df(source)
reading.empty()
ok = df[df["error"] == ""]
cols = st.columns(5)
cols[0].metric("Clips", len(df), border=True)
cols[1].metric("Genres", int(df["genre"].nunique()), border=True)
cols[2].metric("Format", source.format_text, border=True)
cols[3].metric("Total duration", layout.fmt_duration(float(ok["duration_s"].sum())), border=True)
cols[4].metric("Unreadable headers", int((df["error"] != "").sum()), border=True)

# --- counts ---------------------------------------------------------------------------------
st.header("Clips per genre")
per_genre = (df.groupby("genre").agg(tracks=("track", "size"), duration_s=("duration_s", "sum"))
             .reindex(list(GENRES), fill_value=0).rename_axis("genre").reset_index())
left, right = st.columns([3, 2])
with left:
    layout.plot(figures.genre_counts(per_genre), key="genre_counts")
with right:
    table = per_genre.assign(minutes=per_genre["duration_s"] / 60.0).drop(columns="duration_s")
    st.dataframe(table, hide_index=True, column_config={
        "minutes": st.column_config.NumberColumn("total minutes", format="%.1f")})
st.caption("How many clips each genre has and how long they last together (from the file "
           "headers). GTZAN has 100 clips of 30 s per genre; a balanced set keeps accuracy honest.")

# --- coverage -------------------------------------------------------------------------------
st.header("Coverage")
from core.data.coverage import coverage

cover = coverage(source, data_source.splits_folder())
st.dataframe(pd.DataFrame(cover.rows()), hide_index=True, column_config={
    "clips": st.column_config.NumberColumn("clips", help="audio files found for the genre"),
    "train": st.column_config.NumberColumn("train", help="tracks on the artist-filtered "
                                           "lists' training side"),
    "valid": st.column_config.NumberColumn("valid"), "test": st.column_config.NumberColumn("test"),
})
st.caption("Clips per genre, and tracks on each side of the artist-filtered split when its "
           "lists are set. A partial copy (some genres, a few hundred clips, compressed files) is "
           "fine: models train on the genres present. "
           + " ".join(f"{note[0].upper()}{note[1:]}." for note in cover.notes()))
if cover.ignored:
    with st.expander(f"{len(cover.ignored)} file(s) in the genre folders are not used"):
        st.dataframe(pd.DataFrame(cover.ignored, columns=["file", "reason"]), hide_index=True)

# --- browse and listen ----------------------------------------------------------------------
st.header("Browse and listen")
query = st.text_input("Filter clips", key="track_filter", placeholder="e.g. jazz or 00012",
                      help="Keeps the rows whose id, genre or file name contains this text.")
shown = df
if query.strip():
    q = query.strip().lower()
    mask = (df["track"].str.lower().str.contains(q, regex=False)
            | df["file"].str.lower().str.contains(q, regex=False))
    for extra in ("artist", "title"):   # when the artist index is set
        if extra in df:
            mask |= df[extra].str.lower().str.contains(q, regex=False)
    shown = df[mask]
named = [c for c in ("artist", "title") if c in df]
st.dataframe(shown[["track", "genre", *named, "duration_s", "sample_rate", "channels", "file",
                    "error"]],
             hide_index=True, height=260, column_config={
                 "duration_s": st.column_config.NumberColumn("duration (s)", format="%.2f"),
                 "sample_rate": st.column_config.NumberColumn("rate (Hz)"),
                 "error": st.column_config.TextColumn("header problem")})
st.caption(f"{len(shown)} of {len(df)} clips shown.")
if len(shown):
    names = {row.track: layout.clip_label(row.track, getattr(row, "artist", ""),
                                          getattr(row, "title", ""))
             for row in shown.itertuples()}
    track_id = st.selectbox("Play a clip", shown["track"].tolist(), key="play_track",
                            format_func=lambda t: names.get(t, t))
    path = shown.loc[shown["track"] == track_id, "path"].iloc[0]
    if path.lower().endswith((".wav", ".mp3", ".ogg", ".flac")):
        st.audio(path)
    else:  # .au and friends: browsers cannot play them, send decoded samples
        track = next(t for t in source.tracks if t.track_id == track_id)
        try:
            st.audio(loaders.audio_of(track, preprocess=False), sample_rate=22050)
        except Exception as exc:  # noqa: BLE001 - shown to the user
            layout.show_error(f"{track_id} cannot be decoded", exc)
else:
    st.info("No clip matches the filter.")

# --- waveform per genre ---------------------------------------------------------------------
st.header("One waveform per genre")
first = {}
for track in source.tracks:
    first.setdefault(track.genre, track)
clips, failed = {}, []
for genre in GENRES:
    if genre in first:
        try:
            clips[genre] = loaders.audio_of(first[genre], preprocess=False)
        except Exception as exc:  # noqa: BLE001 - listed below
            failed.append(f"{first[genre].track_id}: {exc}")
if clips:
    layout.plot(figures.waveforms_by_genre(clips), key="waveforms")
    st.caption("The first clip of each genre, as recorded (before any cleaning): amplitude "
               "against time. Dense, loud genres fill the band; quiet or sparse ones leave gaps.")
for message in failed:
    st.warning(message)

# --- features: ZCR and skipped files --------------------------------------------------------
st.header("Zero-crossing rate by genre")
features = loaders.source_features(source)
if features is not None:
    if features.n_segments:
        seg_zcr = features["zcr"].mean(axis=1)
        zcr = (pd.DataFrame({"track": features.segment_track, "zcr": seg_zcr})
               .groupby("track", sort=False)["zcr"].mean().reset_index())
        zcr["genre"] = zcr["track"].str.split(".").str[0]
        layout.plot(figures.zcr_by_genre(zcr), key="zcr_by_genre")
        st.caption("The study's figure 2. Each dot is a clip: the fraction of samples at which "
                   "the waveform changes sign, averaged over the clip. Noisy, bright sounds "
                   "(cymbals, distortion) cross zero often; smooth low sounds rarely.")
    else:
        st.warning("No clip could be analysed; see the skipped files below.")

    st.subheader("Skipped files")
    if features.skipped:
        st.dataframe(pd.DataFrame(features.skipped, columns=["track", "reason"]),
                     hide_index=True)
        st.caption("These clips are left out of feature extraction and training, with the reason.")
    else:
        st.success(f"No file was skipped: all {features.track_ids.size} clips gave "
                   f"{features.n_segments} segments of 3 s.", icon=":material/check_circle:")

# --- split ----------------------------------------------------------------------------------
st.header("Train / validation / test split")
splits_folder = data_source.splits_folder()
protocols = ["random-track", "artist-filtered"]
protocol = st.radio("Protocol", protocols, horizontal=True, key="split_protocol",
                    help="random-track: a seeded random split by clip, stratified by genre. "
                    "artist-filtered: Kereliuk & Sturm's lists, each artist on one side. The "
                    "Training console also offers artist-grouped: whole artists drawn at random.")
from core.data.splits import SplitError, artist_filtered_split, random_track_split
from core.training.config import CARVED_VALID_FRACTION, TrainConfig

SPLIT_DEFAULTS = TrainConfig()   # the Training console starts from the same fractions

split = None
try:
    if protocol == "random-track":
        c1, c2, c3 = st.columns(3)
        seed = int(c1.number_input("Seed", min_value=0, value=DEFAULT_SEED, step=1, key="seed"))
        test_pct = c2.slider("Test share (%)", 10, 50, round(SPLIT_DEFAULTS.test_size * 100),
                             step=5, key="test_pct")
        valid_pct = c3.slider("Validation share (%)", 0, 30,
                              round(SPLIT_DEFAULTS.valid_size * 100), step=5, key="valid_pct")
        split = random_track_split(source.track_ids, test_pct / 100, valid_pct / 100, seed)
    elif splits_folder is None:
        st.info("This server has no artist-filtered split lists." if config.viewer_mode() else
                "Set the folder of the artist-filtered split lists in the sidebar (*Change data "
                "source*) to use this protocol.", icon=":material/rule:")
    else:
        split = artist_filtered_split(source.track_ids, splits_folder)
except (SplitError, ValueError) as exc:
    layout.show_error("This split cannot be made", exc)

if split is not None:
    sizes = split.sizes()
    cols = st.columns(3)
    for col, side in zip(cols, ("train", "valid", "test")):
        col.metric({"valid": "validation"}.get(side, side), f"{sizes[side]['total']} clips",
                   border=True)
    st.dataframe(pd.DataFrame(sizes).T.rename_axis("side"), column_config={
        "total": st.column_config.NumberColumn("total", help="clips on this side")})
    st.caption(f"{split.label()}. Whole clips go to one side, so no 3-s segment of a test clip "
               "is ever seen in training. The Training console makes the same split from the "
               "same seed and shares"
               + (f"; with no validation side, the networks (LSTM, CNNs) hold back "
                  f"{CARVED_VALID_FRACTION:.0%} of the training clips for early stopping."
                  if not split.valid else "."))
    if split.notes:
        st.caption(f"Clips at hand that no list names (left out): {split.notes.get('excluded', 0)}; "
                   f"listed clips not at hand: {split.notes.get('missing', 0)}.")
    if sum(side["total"] for side in sizes.values()) == 0:
        st.warning("No clip of this data source is named by the split lists.")
