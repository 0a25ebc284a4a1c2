"""Gzip for large answers: the one threshold and level /graphql and GraphiQL's assets share.

A dashboard is about 0.6 MB of JSON, 98 KB gzipped. Level 3: level 9 took 35 ms for the
dashboard, level 3 about 5 ms for 20% more bytes. /graphql compresses its whole body at once
(api/graphql_http.py) rather than through Starlette's middleware around every request, which
added about 23 µs to each one (39 against 62 µs for the whole stack, in process, on a request
refused before any work); GraphiQL's assets use that middleware on their route only.
"""

from __future__ import annotations

import zlib

from starlette.requests import Request

GZIP_MINIMUM_BYTES = 4096
GZIP_LEVEL = 3


def accepts_gzip(request: Request) -> bool:
    return "gzip" in request.headers.get("accept-encoding", "")


def gzipped(content: bytes) -> bytes:
    # wbits=31: the gzip container, in one call.
    return zlib.compress(content, GZIP_LEVEL, wbits=31)
