"""Static assets: compressed without leaking files, and URLs that change with content.

Flask-Compress compresses streamed responses without closing the file behind
them, so small files are read into memory first; the content hash in each
asset URL lets phones (and the service worker) pick up new scripts at once.
"""

from __future__ import annotations

import hashlib
import os

from flask import Flask, Response, url_for

from surveyapp.extensions import compress

BUFFER_LIMIT = 512 * 1024


def _buffer_small_files(response: Response) -> Response:
    """Read a small passthrough file into memory (runs before Flask-Compress)."""
    if response.direct_passthrough and response.content_length is not None \
            and response.content_length <= BUFFER_LIMIT:
        source = response.response
        try:
            data = b"".join(source)
        finally:
            if hasattr(source, "close"):
                source.close()
        response.direct_passthrough = False
        response.set_data(data)
    return response


def init_app(app: Flask) -> None:
    """Compression, file buffering and the ``asset_url`` template helper."""
    compress.init_app(app)
    app.after_request(_buffer_small_files)  # registered later, so it runs before compression
    hashes: dict[str, str] = {}

    def asset_url(filename: str) -> str:
        if filename not in hashes:
            with open(os.path.join(app.static_folder, filename), "rb") as handle:
                hashes[filename] = hashlib.sha256(handle.read()).hexdigest()[:10]
        return url_for("static", filename=filename, v=hashes[filename])

    app.jinja_env.globals["asset_url"] = asset_url
