"""Constants of the study (Yi et al., 2021) and of GenreLab, in one place."""

from __future__ import annotations

from pathlib import Path

#: The ten GTZAN genres, in the canonical (alphabetical) order used for label indices.
GENRES: tuple[str, ...] = (
    "blues", "classical", "country", "disco", "hiphop",
    "jazz", "metal", "pop", "reggae", "rock",
)
GENRE_INDEX: dict[str, int] = {g: i for i, g in enumerate(GENRES)}

# --- audio ---------------------------------------------------------------
SAMPLE_RATE: int = 22050          #: Hz, GTZAN's rate; every clip is resampled to it
CLIP_SECONDS: float = 30.0        #: s, length of a GTZAN clip
SEGMENT_SECONDS: float = 3.0      #: s, the study cuts each clip into 3-s segments
SEGMENTS_PER_CLIP: int = 10       #: segments of a full 30-s clip
SEGMENT_SAMPLES: int = int(SEGMENT_SECONDS * SAMPLE_RATE)  #: 66150 samples
HIGHPASS_HZ: float = 40.0         #: Hz, cut-off of the gentle noise high-pass (switchable)
HIGHPASS_ORDER: int = 2           #: Butterworth order of that high-pass
TRIM_TOP_DB: float = 60.0         #: dB below peak treated as silence when trimming ends
SILENCE_PEAK: float = 1e-4        #: a clip whose absolute peak is below this is silent

# --- STFT and features -------------------------------------------------------
N_FFT: int = 2048                 #: samples, STFT window
HOP_LENGTH: int = 512             #: samples, STFT hop
N_MELS: int = 128                 #: mel bands of the mel-spectrogram
N_MFCC: int = 30                  #: MFCCs per frame in the study
ZCR_STEPS: int = 30               #: ZCR time steps per 3-s segment (30x1 feature)
ZCR_FRAME: int = SEGMENT_SAMPLES // ZCR_STEPS  #: 2205 samples = 100 ms, one ZCR step
CNN1D_SECONDS: float = 15.0       #: s, the 1D-CNN sees the first 15 s of a clip
CNN1D_FRAMES: int = 646           #: STFT frames in 15 s (1 + 15*22050 // 512)
CNN1D_SAMPLES: int = int(CNN1D_SECONDS * SAMPLE_RATE)  #: 330750 samples in those 15 s
SEGMENT_FRAMES: int = 1 + SEGMENT_SAMPLES // HOP_LENGTH  #: 130 STFT frames per 3-s segment
ZCR_THRESHOLD: float = 1e-10      #: amplitude at or below which a sample counts as 0 in the ZCR
DB_AMIN: float = 1e-10            #: power floor before converting to dB (librosa's amin)
DB_TOP_DB: float = 80.0           #: dB, log-mel floor below the max of each segment / 15-s block
N_CHROMA: int = 12                #: chroma bins (pitch classes)
CHROMA_TUNING: float = 0.0        #: fraction of a chroma bin; fixed tuning (not estimated per clip)

# --- Kaggle's whole-clip descriptors (features_30_sec.csv / features_3_sec.csv) -------
KAGGLE_N_MFCC: int = 20           #: MFCCs in Kaggle's feature tables (librosa's default)
KAGGLE_N_MELS: int = 128          #: mel bands behind those MFCCs and the tempo (librosa's default)
KAGGLE_PAD_MODE: str = "reflect"  #: frame edge padding of the librosa (< 0.10) that made the tables
ORACLE_REL_TOL: float = 0.02      #: fraction of 1, accepted relative error against Kaggle's table
ORACLE_ABS_TOL: float = 1e-4      #: accepted absolute error for the near-zero HPSS signal means

# --- models ---------------------------------------------------------------
LSTM_UNITS: int = 128             #: width of the LSTM deep feature
DEFAULT_SEED: int = 42

# --- published results of the study (accuracy, fraction of 1) ---------------
PAPER_RESULTS: dict[str, float] = {
    "svm_zcr": 0.2367,
    "svm_mfcc": 0.6433,
    "knn_zcr": 0.19,
    "knn_mfcc": 0.3167,
    "lstm_svm_zcr": 0.444,
    "lstm_svm_mfcc": 0.818,
    "lstm_knn_zcr": 0.4125,
    "lstm_knn_mfcc": 0.778,
    "cnn2d_mel": 0.758,
    "cnn1d_mfcc": 0.621,
}

# --- paths ----------------------------------------------------------------
PROJECT_ROOT: Path = Path(__file__).resolve().parent.parent
MODELS_DIR: Path = PROJECT_ROOT / "models"   #: shipped default models
#: The real GTZAN material beside the project (../shared/data: clips, Kaggle's table, split lists),
#: read by the benchmarks and the real-data tests only; GenreLab itself never needs it.
SHARED_DATA: Path = PROJECT_ROOT.parent / "shared" / "data"
AUDIO_EXTENSIONS: tuple[str, ...] = (".wav", ".au", ".mp3", ".ogg", ".flac")
MAX_UPLOAD_BYTES: int = 50 * 1024 * 1024     #: refuse uploads larger than this
MAX_BATCH_FILES: int = 200                   #: clips predicted at once (upload, zip, CLI); more are refused
#: bytes a zip archive's members may unpack to in all; members past it are refused unopened
MAX_ARCHIVE_UNPACKED_BYTES: int = 1024 * 1024 * 1024
#: bytes the zip members of one batch (every upload or CLI path together) may unpack to
MAX_BATCH_UNPACKED_BYTES: int = 2 * 1024 * 1024 * 1024
#: s of a file that are decoded at most; a longer file is analysed on its first MAX_CLIP_SECONDS
MAX_CLIP_SECONDS: float = 600.0
