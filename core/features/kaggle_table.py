"""Loading and validating Kaggle's GTZAN feature tables (features_30_sec.csv, features_3_sec.csv).

Both tables hold `filename`, `length`, the 57 descriptor columns (`core.features.descriptors`) and `label`;
the 30-s table has one row per track (blues.00000.wav), the 3-s table one row per 3-s segment
(blues.00000.0.wav ... blues.00000.9.wav).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from core.constants import GENRE_INDEX, GENRES
from core.features.descriptors import DESCRIPTOR_COLUMNS

#: The 40 MFCC columns (mfcc1_mean, mfcc1_var, ..., mfcc20_var), in table order.
MFCC_COLUMNS: tuple[str, ...] = tuple(c for c in DESCRIPTOR_COLUMNS if c.startswith("mfcc"))

#: Columns every table must hold besides the descriptors.
KEY_COLUMNS: tuple[str, ...] = ("filename", "label")

#: Row names of the 30-s table (one clip) and of the 3-s table (one segment of a clip).
CLIP_FILENAME = re.compile(r"^(?P<genre>[a-z]+)\.(?P<num>\d{5})\.wav$")
SEGMENT_FILENAME = re.compile(r"^(?P<genre>[a-z]+)\.(?P<num>\d{5})\.(?P<seg>\d+)\.wav$")

#: Cell texts read as a missing value (the row is then dropped as non-finite), lower case.
MISSING_TOKENS: frozenset[str] = frozenset({"", "nan", "na", "n/a", "null", "none"})

_SHOW = 5  #: offending items quoted in an error message


class TableError(ValueError):
    """A file that is not a usable Kaggle GTZAN feature table; the message says what is wrong."""


@dataclass(frozen=True)
class KaggleTable:
    """A validated Kaggle feature table: descriptors X (rows x columns), labels and track ids."""
    X: np.ndarray                 #: (n_rows, n_columns) float64 descriptors, all finite
    columns: tuple[str, ...]      #: names of X's columns (DESCRIPTOR_COLUMNS)
    labels: np.ndarray            #: (n_rows,) int64 index into core.constants.GENRES
    track_ids: np.ndarray         #: (n_rows,) str, "blues.00000" (shared by a track's segments)
    filenames: np.ndarray         #: (n_rows,) str, the table's filename column
    segment_table: bool           #: True for the 3-s table (one row per segment)
    dropped: list[str] = field(default_factory=list)  #: filenames of rows dropped as non-finite
    path: Path | None = None      #: the file it was read from

    def __len__(self) -> int:
        """Number of rows kept."""
        return int(self.X.shape[0])

    def select(self, columns: tuple[str, ...] | list[str]) -> np.ndarray:
        """The sub-matrix of the named columns (in the given order): (n_rows, len(columns))."""
        unknown = [c for c in columns if c not in self.columns]
        if unknown:
            raise TableError(f"unknown column(s): {', '.join(unknown)}")
        return self.X[:, [self.columns.index(c) for c in columns]]

    def track_labels(self) -> dict[str, int]:
        """Genre index of each track id (one entry per track, also for the 3-s table)."""
        return {str(t): int(g) for t, g in zip(self.track_ids, self.labels)}


def _quote(items: list[str]) -> str:
    """A short comma-separated list of items, saying how many more there are."""
    shown = ", ".join(repr(i) for i in items[:_SHOW])
    return shown + (f" (and {len(items) - _SHOW} more)" if len(items) > _SHOW else "")


def _read_text_frame(path: Path):
    """The CSV as a pandas DataFrame of stripped strings; TableError when it cannot be parsed."""
    import pandas as pd

    if not path.exists():
        raise TableError(f"{path} does not exist")
    if not path.is_file():
        raise TableError(f"{path} is not a file")
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False, skipinitialspace=True)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as error:
        raise TableError(f"{path} is not a readable CSV table ({error})") from error
    frame.columns = [str(c).strip() for c in frame.columns]
    return frame.apply(lambda col: col.str.strip())


def _numeric_block(frame, path: Path) -> np.ndarray:
    """The descriptor columns as float64 (missing cells as NaN); TableError on non-numeric text."""
    import pandas as pd

    block = np.empty((len(frame), len(DESCRIPTOR_COLUMNS)), dtype=np.float64)
    problems: list[str] = []
    for j, name in enumerate(DESCRIPTOR_COLUMNS):
        raw = frame[name]
        values = pd.to_numeric(raw, errors="coerce")
        bad = values.isna() & ~raw.str.lower().isin(MISSING_TOKENS)
        if bad.any():
            examples = [f"{frame['filename'].iat[i]}: {raw.iat[i]!r}"
                        for i in np.flatnonzero(bad.to_numpy())[:2]]
            problems.append(f"{name} ({int(bad.sum())} cells, e.g. {'; '.join(examples)})")
        block[:, j] = values.to_numpy(dtype=np.float64, na_value=np.nan)
    if problems:
        raise TableError(f"{path}: non-numeric values in column(s) " + "; ".join(problems))
    return block


def _parse_filenames(filenames: list[str], path: Path) -> tuple[list[re.Match], bool]:
    """Match every row name to the 30-s or the 3-s pattern; TableError unless all fit one."""
    clips = [CLIP_FILENAME.match(f) for f in filenames]
    if all(clips):
        return clips, False  # type: ignore[return-value]
    segments = [SEGMENT_FILENAME.match(f) for f in filenames]
    if all(segments):
        return segments, True  # type: ignore[return-value]
    bad = [f for f, c, s in zip(filenames, clips, segments) if not c and not s]
    if bad:
        raise TableError(f"{path}: filename(s) not like 'blues.00000.wav' (30-s table) or "
                         f"'blues.00000.0.wav' (3-s table): {_quote(bad)}")
    raise TableError(f"{path}: mixes whole-clip rows (blues.00000.wav) and 3-s segment rows "
                     f"(blues.00000.0.wav); a table holds one kind")


def load_table(path: str | Path) -> KaggleTable:
    """Read and validate a Kaggle feature table; rows with non-finite descriptors are dropped.
    TableError (a ValueError) names missing columns, unknown labels, non-numeric values, bad or
    duplicate filenames, and filenames whose genre disagrees with the label.
    """
    path = Path(path).expanduser()
    frame = _read_text_frame(path)
    missing = [c for c in KEY_COLUMNS + DESCRIPTOR_COLUMNS if c not in frame.columns]
    if missing:
        raise TableError(f"{path} is not a Kaggle GTZAN feature table: missing {len(missing)} "
                         f"column(s): {', '.join(missing)}")
    if len(frame) == 0:
        raise TableError(f"{path} holds a header but no rows")

    label_names = frame["label"].str.lower().tolist()
    unknown = sorted(set(label_names) - set(GENRES))
    if unknown:
        raise TableError(f"{path}: unknown label(s) {_quote(unknown)}; "
                         f"expected one of {', '.join(GENRES)}")
    filenames = frame["filename"].tolist()
    seen: set[str] = set()
    duplicates = sorted({f for f in filenames if f in seen or seen.add(f)})
    if duplicates:
        raise TableError(f"{path}: duplicate filename(s) {_quote(duplicates)}")
    matches, segment_table = _parse_filenames(filenames, path)
    mismatched = [f"{f} labelled {g}" for f, m, g in zip(filenames, matches, label_names)
                  if m["genre"] != g]
    if mismatched:
        raise TableError(f"{path}: filename genre and label disagree: {_quote(mismatched)}")

    X = _numeric_block(frame, path)
    finite = np.all(np.isfinite(X), axis=1)
    dropped = [f for f, ok in zip(filenames, finite) if not ok]
    if not finite.any():
        raise TableError(f"{path}: every row holds a missing or non-finite value")
    keep = np.flatnonzero(finite)
    return KaggleTable(
        X=X[keep],
        columns=DESCRIPTOR_COLUMNS,
        labels=np.array([GENRE_INDEX[label_names[i]] for i in keep], dtype=np.int64),
        track_ids=np.array([f"{matches[i]['genre']}.{matches[i]['num']}" for i in keep], dtype=str),
        filenames=np.array([filenames[i] for i in keep], dtype=str),
        segment_table=segment_table,
        dropped=dropped,
        path=path,
    )
