"""AudioSet's music-genre classes, the GTZAN genre each speaks for, and the words that show them.

Any network tagging AudioSet's ontology (EfficientAT's 527 outputs, YAMNet's 521) names its
classes with the same display names; this module works on names, so each network resolves
its own output indices (``class_indices``). ``GENRE_CLASSES`` gives each GTZAN genre the AudioSet
classes that mean it (rock takes its sub-genres, reggae takes ska, country takes bluegrass,
classical takes opera, jazz takes swing); a zero-shot genre score is the highest probability
among them. ``MUSIC_GENRE_CLASSES`` is every genre class of the ontology's "Music genre"
branch, those with no GTZAN genre included, for the tags shown beside an answer
("AudioSet hears: Reggae 61 %, Ska 12 %").
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from core.constants import GENRES

#: GTZAN genre -> the AudioSet classes that mean it.
GENRE_CLASSES: dict[str, tuple[str, ...]] = {
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

#: The ontology's music-genre classes, in AudioSet's order (50 classes).
MUSIC_GENRE_CLASSES: tuple[str, ...] = (
    "Pop music", "Hip hop music", "Beatboxing", "Rock music", "Heavy metal", "Punk rock",
    "Grunge", "Progressive rock", "Rock and roll", "Psychedelic rock", "Rhythm and blues",
    "Soul music", "Reggae", "Country", "Swing music", "Bluegrass", "Funk", "Folk music",
    "Middle Eastern music", "Jazz", "Disco", "Classical music", "Opera", "Electronic music",
    "House music", "Techno", "Dubstep", "Drum and bass", "Electronica", "Electronic dance music",
    "Ambient music", "Trance music", "Music of Latin America", "Salsa music", "Flamenco",
    "Blues", "Music for children", "New-age music", "Vocal music", "A capella",
    "Music of Africa", "Afrobeat", "Christian music", "Gospel music", "Music of Asia",
    "Carnatic music", "Music of Bollywood", "Ska", "Traditional music", "Independent music",
)

#: Genre classes shown beside an answer at most, and the lowest probability shown.
TOP_CLASSES: int = 5
MIN_SHOWN: float = 0.05


def class_indices(names: Sequence[str], wanted: Sequence[str]) -> list[int]:
    """Indices in a network's class list (names) of the wanted classes; KeyError naming any
    class the network lacks."""
    position = {name: i for i, name in enumerate(names)}
    missing = [w for w in wanted if w not in position]
    if missing:
        raise KeyError(f"AudioSet classes {missing} are not among the network's classes")
    return [position[w] for w in wanted]


def genre_scores(probabilities: np.ndarray, names: Sequence[str]) -> np.ndarray:
    """Zero-shot GTZAN genre scores (..., 10) in GENRES order: for each genre the highest
    probability among its AudioSet classes (probabilities (..., n_classes), 0..1)."""
    p = np.asarray(probabilities, dtype=np.float64)
    return np.stack([p[..., class_indices(names, GENRE_CLASSES[g])].max(axis=-1)
                     for g in GENRES], axis=-1)


def heard(probabilities: np.ndarray, names: Sequence[str], k: int = TOP_CLASSES,
          floor: float = MIN_SHOWN) -> tuple[tuple[str, float], ...]:
    """The k most probable music-genre classes of one clip ((n_classes,) probabilities) at or
    above floor: ((class, probability), ...), best first; the first one even below floor."""
    p = np.asarray(probabilities, dtype=np.float64).reshape(-1)
    if p.size != len(names):
        raise ValueError(f"expected {len(names)} class probabilities, got {p.size}")
    index = class_indices(names, MUSIC_GENRE_CLASSES)
    order = sorted(range(len(index)), key=lambda i: -p[index[i]])[:k]
    picked = [(MUSIC_GENRE_CLASSES[i], float(p[index[i]])) for i in order]
    return tuple(t for n, t in enumerate(picked) if n == 0 or t[1] >= floor)


def describe(tags: Sequence[tuple[str, float]], source: str = "AudioSet") -> str:
    """The tags in words: "AudioSet hears: Reggae 61 %, Ska 12 %" (nothing heard: says so)."""
    if not tags:
        return f"{source} hears no music genre"
    return f"{source} hears: " + ", ".join(f"{name} {100 * p:.0f} %" for name, p in tags)
