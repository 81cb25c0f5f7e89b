"""Channel links, QR codes and printable posters."""

from __future__ import annotations

import io
import subprocess

from surveyapp import catalogue
from tests.builders import make_researcher
from tests.conftest import ROOT


def login(client):
    make_researcher()
    client.post("/admin/login", data={"username": "alice", "password": "correct horse"})


def test_qr_codes_encode_the_channel_link(client, app):
    """Do the SVG and PNG QR codes carry the channel's own survey link?"""
    catalogue.import_file(ROOT / "questionnaires" / "community_safety.yaml")
    svg = client.get("/s/community_safety/qr.svg?c=c101")
    assert svg.status_code == 200 and svg.mimetype == "image/svg+xml" and b"<svg" in svg.data
    png = client.get("/s/community_safety/qr.png?c=c101")
    assert png.data.startswith(b"\x89PNG")
    from PIL import Image
    assert Image.open(io.BytesIO(png.data)).size[0] > 200


def test_poster_pdf(client, app, tmp_path):
    """Is there an A4 PDF poster per channel with title, community, link and time needed?"""
    catalogue.import_file(ROOT / "questionnaires" / "community_safety.yaml")
    login(client)
    resp = client.get("/admin/q/community_safety/poster.pdf?c=c101")
    assert resp.status_code == 200 and resp.data.startswith(b"%PDF")
    path = tmp_path / "poster.pdf"
    path.write_bytes(resp.data)
    text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout
    assert "社区治安与警务满意度调查" in text and "/s/community_safety?c=c101" in text and "分钟" in text
    fonts = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True, check=True).stdout
    assert "WenQuanYi" in fonts or "Noto" in fonts


def test_channel_page_lists_links(client, app):
    """Does the researcher's page list every channel with its link, QR and poster?"""
    catalogue.import_file(ROOT / "questionnaires" / "community_safety.yaml")
    login(client)
    html = client.get("/admin/q/community_safety").get_data(as_text=True)
    assert html.count("/s/community_safety?c=") >= 7 and "poster.pdf?c=c101" in html
