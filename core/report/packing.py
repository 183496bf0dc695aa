"""What the HTML report embeds packed: plotly.js and the charts' JSON, and the loader that unpacks
them in the browser.

Each blob is gzip-compressed (level 9, mtime 0, so the same input gives the same bytes for one
zlib version) and written as base85 text in a <script type="text/plain"> element that also states
the unpacked size in bytes (data-size). The browser unpacks it with its own
DecompressionStream('gzip'), which checks gzip's CRC-32 and length; the loader checks the size
too.

Why base85 and not base64: plotly.js 7.1 is 4.82 MB raw and 1.47 MB gzipped; as base64 that is
1.96 MB, as base85 1.84 MB. With base64 the example report of the shipped models
(docs/example-report.html) comes to about 2.06 MB, over the project's 2,000,000-byte limit on a
tracked file; with base85 it is about 1.93 MB and stays in the repository, where a reader can open
it without building anything. The price is a 20-line base85 decoder in the loader.

Python's base85 alphabet (RFC 1924) holds '<' but not '.': a blob writes '<' as '.', so it holds
neither '<' nor '/' and nothing in it can end or change its <script> element.
"""

from __future__ import annotations

import base64
import gzip
import re
import zlib
from functools import lru_cache
from pathlib import Path

from core.report.text import ReportError

LOADER_PATH = Path(__file__).with_name("report_loader.js")
#: id of the blob element holding plotly.js, and of the one holding the charts' JSON
PLOTLY_BLOB_ID = "plotly-js"
CHARTS_BLOB_ID = "report-charts"
_TO_BLOB = bytes.maketrans(b"<", b".")
_FROM_BLOB = bytes.maketrans(b".", b"<")


@lru_cache(maxsize=1)
def plotly_js() -> str:
    """The plotly.js bundle that ships with the plotly package (minified, about 4.8 MB)."""
    from plotly.offline import get_plotlyjs

    return get_plotlyjs()


def pack(data: bytes) -> str:
    """data gzip-compressed (level 9, mtime 0) as base85 text with no '<' and no '/'."""
    packed = gzip.compress(data, compresslevel=9, mtime=0)
    return base64.b85encode(packed).translate(_TO_BLOB).decode("ascii")


def unpack(text: str) -> bytes:
    """The bytes a pack() text holds; ValueError when it is damaged (gzip checks its CRC-32)."""
    try:
        return gzip.decompress(base64.b85decode(text.encode("ascii").translate(_FROM_BLOB)))
    except (OSError, EOFError, zlib.error, UnicodeEncodeError) as exc:
        raise ValueError(f"a damaged blob: {exc}") from exc


def blob_element(blob_id: str, data: bytes) -> str:
    """A <script type="text/plain"> element holding pack(data) and its unpacked size in bytes."""
    return (f'<script type="text/plain" id="{blob_id}" data-size="{len(data)}">'
            f'{pack(data)}</script>')


@lru_cache(maxsize=1)
def plotly_blob() -> str:
    """The blob element of plotly.js (packing it takes about a second, so it is made once)."""
    return blob_element(PLOTLY_BLOB_ID, plotly_js().encode("utf-8"))


def embedded(text: str, blob_id: str) -> bytes:
    """The bytes of the blob of that id in a report's HTML, checked against the size it states.
    ValueError when the report holds no such blob, or it is damaged or of another size.
    """
    found = re.findall(rf'<script type="text/plain" id="{re.escape(blob_id)}" '
                       r'data-size="(\d+)">([^<]*)</script>', text)
    if len(found) != 1:
        raise ValueError(f"the report holds {len(found)} blobs {blob_id!r}, not one")
    size, body = found[0]
    data = unpack(body)
    if len(data) != int(size):
        raise ValueError(f"blob {blob_id!r} unpacks to {len(data)} bytes, not the {size} it states")
    return data


@lru_cache(maxsize=1)
def loader_js() -> str:
    """The loader script (core/report/report_loader.js) that unpacks the blobs and draws the charts."""
    code = LOADER_PATH.read_text(encoding="utf-8")
    if re.search(r"<script|</script|<!--", code, flags=re.I):
        raise ReportError(f"{LOADER_PATH} holds '<script', '</script' or '<!--', which would "
                          "change where its script element ends")
    return code
