"""What the HTML report embeds packed: plotly.js and the charts' JSON, and the loader that unpacks
them in the browser.

Each blob is LZMA-compressed and written as base85 text in a <script type="text/plain"> element,
with its unpacked size and CRC-32; the loader of core/report/report_loader.js unpacks them.
Python's base85 alphabet (RFC 1924) holds '<' but not '.': blobs write '<' as '.', so a blob
holds neither '<' nor '/' and nothing in it can end or change its <script> element.
"""

from __future__ import annotations

import base64
import lzma
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
    """data LZMA-compressed (the "alone" format, with its end marker) as base85 text with no '<'.
    Sizes for plotly.js: 4.8 MB raw, 1.11 MB packed, 1.39 MB as text (gzip -9 gives 1.47 MB, 1.84 MB
    as base85). The same bytes for one liblzma version. The dictionary holds the whole input (the
    loader keeps all its output anyway); lc=3, lp=0, pb=0 suit text.
    """
    filters = [{"id": lzma.FILTER_LZMA1, "preset": 9 | lzma.PRESET_EXTREME,
                "dict_size": max(1 << 16, len(data)), "lc": 3, "lp": 0, "pb": 0}]
    packed = lzma.compress(data, format=lzma.FORMAT_ALONE, filters=filters)
    return base64.b85encode(packed).translate(_TO_BLOB).decode("ascii")


def unpack(text: str) -> bytes:
    """The bytes a pack() text holds (ValueError or lzma.LZMAError when it is damaged)."""
    return lzma.decompress(base64.b85decode(text.encode("ascii").translate(_FROM_BLOB)),
                           format=lzma.FORMAT_ALONE)


def blob_element(blob_id: str, data: bytes) -> str:
    """A <script type="text/plain"> element holding pack(data), its size in bytes and CRC-32."""
    return (f'<script type="text/plain" id="{blob_id}" data-size="{len(data)}" '
            f'data-crc32="{zlib.crc32(data)}">{pack(data)}</script>')


@lru_cache(maxsize=1)
def plotly_blob() -> str:
    """The blob element of plotly.js (packing it takes about 2 s, so it is made once)."""
    return blob_element(PLOTLY_BLOB_ID, plotly_js().encode("utf-8"))


def embedded(text: str, blob_id: str) -> bytes:
    """The bytes of the blob of that id in a report's HTML, checked against its size and CRC-32.
    ValueError when the report holds no such blob or it does not unpack to what it states
    (lzma.LZMAError when its LZMA data is damaged).
    """
    found = re.findall(rf'<script type="text/plain" id="{re.escape(blob_id)}" '
                       r'data-size="(\d+)" data-crc32="(\d+)">([^<]*)</script>', text)
    if len(found) != 1:
        raise ValueError(f"the report holds {len(found)} blobs {blob_id!r}, not one")
    size, crc, body = found[0]
    data = unpack(body)
    if len(data) != int(size) or zlib.crc32(data) != int(crc):
        raise ValueError(f"blob {blob_id!r} does not unpack to the size and CRC-32 it states")
    return data


@lru_cache(maxsize=1)
def loader_js() -> str:
    """The loader script (core/report/report_loader.js) that unpacks the blobs and draws the charts."""
    code = LOADER_PATH.read_text(encoding="utf-8")
    if re.search(r"<script|</script|<!--", code, flags=re.I):
        raise ReportError(f"{LOADER_PATH} holds '<script', '</script' or '<!--', which would "
                          "change where its script element ends")
    return code
