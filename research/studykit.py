"""What the studies share: the real data's paths beside the project and the --variants option.

Studies run as modules from the project root (`python -m research.NAME`), so `core` imports
without any sys.path change.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Sequence

from core.constants import SHARED_DATA

GTZAN_OGG: Path = SHARED_DATA / "gtzan-ogg"              #: 473 real clips, Ogg Vorbis
SPLITS: Path = SHARED_DATA / "splits"                    #: the artist-filtered split lists
ARTIST_INDEX: Path = SHARED_DATA / "metadata" / "GTZANindex.txt"   #: Sturm's artist index
XD_DEV: Path = SHARED_DATA / "xd-dev"                    #: 49 real recordings outside GTZAN
KAGGLE_TABLE: Path = SHARED_DATA / "features" / "features_30_sec.csv"


def variants_arg(parser: argparse.ArgumentParser, known: Sequence[str], argv: list[str] | None,
                 ) -> tuple[argparse.Namespace, list[str]]:
    """Parse argv with a --variants option (comma-separated, default all known); the chosen
    variants, or a parser error naming the unknown ones."""
    parser.add_argument("--variants", default=",".join(known))
    args = parser.parse_args(argv)
    chosen = args.variants.split(",")
    unknown = [v for v in chosen if v not in known]
    if unknown:
        parser.error(f"unknown variant(s) {unknown}; choose from {', '.join(known)}")
    return args, chosen
