"""AudioSet's music-genre classes: which of a network's AudioSet scores are genres, and their words.

Shared by every network trained on AudioSet (YAMNet's 521 classes, EfficientAT's 527): a family
passes its own class names (the display names of the AudioSet ontology, e.g. "Hip hop music") and
gets back the genre classes it hears, ranked, and a zero-shot mapping onto GTZAN's ten genres.
The class lists name classes, not indices, so they hold for any AudioSet label order.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from core.constants import GENRES

#: The music-genre classes of the AudioSet ontology ("Music genre" and its sub-genres), as
#: display names. Left out: "Beatboxing" (a vocal technique filed under hip hop) and the
#: non-genre music classes (instruments, moods, "Background music", "Theme music", ...).
GENRE_CLASSES: tuple[str, ...] = (
    "Pop music", "Hip hop music", "Rock music", "Heavy metal", "Punk rock", "Grunge",
    "Progressive rock", "Rock and roll", "Psychedelic rock", "Rhythm and blues", "Soul music",
    "Reggae", "Country", "Swing music", "Bluegrass", "Funk", "Folk music",
    "Middle Eastern music", "Jazz", "Disco", "Classical music", "Opera", "Electronic music",
    "House music", "Techno", "Dubstep", "Drum and bass", "Electronica",
    "Electronic dance music", "Ambient music", "Trance music", "Music of Latin America",
    "Salsa music", "Flamenco", "Blues", "Music for children", "New-age music", "Vocal music",
    "A capella", "Music of Africa", "Afrobeat", "Christian music", "Gospel music",
    "Music of Asia", "Carnatic music", "Music of Bollywood", "Ska", "Traditional music",
    "Independent music",
)

#: GTZAN genre -> the AudioSet genre classes that name it (zero-shot: a genre scores the
#: highest of its classes' scores).
GTZAN_CLASSES: dict[str, tuple[str, ...]] = {
    "blues": ("Blues",),
    "classical": ("Classical music", "Opera"),
    "country": ("Country", "Bluegrass"),
    "disco": ("Disco",),
    "hiphop": ("Hip hop music",),
    "jazz": ("Jazz", "Swing music"),
    "metal": ("Heavy metal",),
    "pop": ("Pop music",),
    "reggae": ("Reggae", "Ska"),
    "rock": ("Rock music", "Punk rock", "Grunge", "Progressive rock", "Rock and roll",
             "Psychedelic rock"),
}

TAGS_LABEL: str = "AudioSet hears"     #: how Try it introduces these tags
TAGS_NOTE: str = ("AudioSet hears: the network's own scores of AudioSet's music-genre classes "
                  "(the ontology's names, e.g. Ska, Bluegrass, Hip hop music), best first; each "
                  "is a probability that the class is present, so several can be high at once. "
                  "They are not GTZAN genres.")
TOP_GENRES: int = 4                    #: genre classes shown beside the answer


def class_indices(class_names: Sequence[str], wanted: Sequence[str]) -> np.ndarray:
    """Positions of the wanted class names in a network's class list; ValueError naming any
    that the list lacks."""
    position = {name: i for i, name in enumerate(class_names)}
    missing = [name for name in wanted if name not in position]
    if missing:
        raise ValueError(f"the network's AudioSet classes lack {missing}")
    return np.array([position[name] for name in wanted], dtype=np.int64)


def genre_tags(scores: np.ndarray, class_names: Sequence[str],
               k: int = TOP_GENRES) -> tuple[tuple[str, float], ...]:
    """The k highest-scoring GENRE_CLASSES of one clip's scores (one per class of class_names,
    0..1): ((class name, score), ...), best first (ties in GENRE_CLASSES order)."""
    scores = np.asarray(scores, dtype=np.float64).reshape(-1)
    if scores.size != len(class_names):
        raise ValueError(f"expected {len(class_names)} scores, got {scores.size}")
    index = class_indices(class_names, GENRE_CLASSES)
    order = np.argsort(-scores[index], kind="stable")[:k]
    return tuple((GENRE_CLASSES[i], float(scores[index[i]])) for i in order)


def zero_shot(scores: np.ndarray, class_names: Sequence[str]) -> np.ndarray:
    """GTZAN genre scores (n, 10) in GENRES order of AudioSet scores (n, n_classes): each genre
    the highest score of its GTZAN_CLASSES."""
    scores = np.asarray(scores, dtype=np.float64)
    scores = scores.reshape(1, -1) if scores.ndim == 1 else scores
    return np.stack([scores[:, class_indices(class_names, GTZAN_CLASSES[g])].max(axis=1)
                     for g in GENRES], axis=1)
