"""QR codes and printable A4 posters for a questionnaire's channels.

Each channel (a community, a 警务区) gets its own link, so every response
records where the resident found the survey. Posters go on notice boards.
"""

from __future__ import annotations

import base64
import io
import math
from dataclasses import dataclass

import segno

SECONDS_PER_QUESTION = 8


def survey_link(base_url: str, form_id: str, channel: str | None = None) -> str:
    """The public survey link, with the channel when there is one."""
    link = f"{base_url.rstrip('/')}/s/{form_id}"
    return f"{link}?c={channel}" if channel else link


def qr_svg(link: str) -> bytes:
    """The link as an SVG QR code (medium error correction survives smudged print)."""
    out = io.BytesIO()
    segno.make(link, error="m").save(out, kind="svg", scale=8, border=2, xmldecl=True)
    return out.getvalue()


def qr_png(link: str, scale: int = 10) -> bytes:
    """The link as a PNG QR code."""
    out = io.BytesIO()
    segno.make(link, error="m").save(out, kind="png", scale=scale, border=2)
    return out.getvalue()


def minutes_to_answer(answerable_questions: int) -> int:
    """A rough time to complete, for the poster (at least one minute)."""
    return max(1, math.ceil(answerable_questions * SECONDS_PER_QUESTION / 60))


@dataclass(frozen=True)
class Poster:
    """What a poster says."""

    title: str
    organisation: str
    purpose: str
    channel_label: str
    link: str
    minutes: int

    def qr_data_uri(self) -> str:
        return "data:image/svg+xml;base64," + base64.b64encode(qr_svg(self.link)).decode("ascii")


def poster_pdf(html: str) -> bytes:
    """Render poster HTML (from the admin template) to an A4 PDF."""
    from weasyprint import HTML  # imported late: it loads Pango, only needed here
    return HTML(string=html).write_pdf()
