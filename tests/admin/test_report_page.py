"""The 生成报告 page: researchers choose waves, communities and format, and download the report."""

from __future__ import annotations

import io
import zipfile

import docx
import pytest

from surveyapp import studies
from tests.admin.test_login import login
from tests.builders import import_file, make_field_worker, make_researcher
from tests.conftest import ROOT


@pytest.fixture
def study(app, runner):
    """The bundled study with 300 simulated responses in each of two waves."""
    import_file(ROOT / "questionnaires" / "community_safety.yaml")
    studies.import_plan(ROOT / "questionnaires" / "community_safety.analysis.yaml")
    for wave, seed in (("2026Q3", 1), ("2026Q4", 2)):
        args = ["responses", "simulate", "community_safety", "--n", "300", "--seed", str(seed), "--wave", wave]
        assert runner.invoke(args=args).exit_code == 0


def test_the_page_offers_waves_communities_layouts_and_formats(client, study):
    """Does the page list the waves, the communities, the layout and the formats?"""
    make_researcher()
    login(client)
    page = client.get("/admin/q/community_safety/report").get_data(as_text=True)
    for text in ("2026Q3", "2026Q4", "松风社区", "community_policing", "Word（.docx）", "生成并下载"):
        assert text in page
    assert "生成报告" in client.get("/admin/q/community_safety").get_data(as_text=True)


def test_a_researcher_downloads_a_word_report_for_one_wave(client, study):
    """Does posting the form return the .docx of the chosen wave, compared with the earlier one?"""
    make_researcher()
    login(client)
    response = client.post("/admin/q/community_safety/report", data={
        "wave": "2026Q4", "compare_with": "2026Q3", "layout": "community_policing", "fmt": "docx"})
    assert response.status_code == 200
    assert response.headers["Content-Disposition"].endswith('community_safety-2026Q4-report.docx"')
    document = docx.Document(io.BytesIO(response.data))
    headings = [p.text for p in document.paragraphs if p.style.name == "Heading 1"]
    assert headings[:6] == ["一、调研基本情况", "二、调研结果", "三、存在的主要问题", "四、原因分析", "五、对策建议", "六、结论"]
    assert "2026年第四季度" in document.paragraphs[0].text


def test_markdown_comes_zipped_with_its_figures_and_communities_filter(client, study):
    """Is the Markdown download a zip with the report and its charts, limited to the chosen communities?"""
    make_researcher()
    login(client)
    response = client.post("/admin/q/community_safety/report", data={
        "wave": "", "compare_with": "", "layout": "community_policing", "fmt": "md", "channels": ["c101", "c102"]})
    archive = zipfile.ZipFile(io.BytesIO(response.data))
    text = archive.read("report.md").decode("utf-8")
    assert any(name.startswith("figures/") for name in archive.namelist())
    assert "松风社区（青松街道）" in text and "丹霞社区（红枫街道）" not in text   # (the questionnaire appendix lists all)


def test_same_wave_twice_is_refused_and_field_workers_are_kept_out(client, study):
    """Is comparing a wave with itself refused on the page, and the page closed to field workers?"""
    make_researcher()
    login(client)
    page = client.post("/admin/q/community_safety/report", data={
        "wave": "2026Q4", "compare_with": "2026Q4", "layout": "community_policing", "fmt": "pdf"})
    assert page.status_code == 200 and "对比期次应与调查期次不同" in page.get_data(as_text=True)
    client.post("/admin/logout")
    make_field_worker("bob", "a long password")
    login(client, "bob", "a long password")
    assert client.get("/admin/q/community_safety/report").status_code == 403


def test_a_questionnaire_without_a_layout_gets_the_generic_report(client, app):
    """A researcher's own questionnaire (no plan, no layout) can be reported from the page."""
    from tests.reporting.test_generic_report import CAMPUS, store
    import_file(CAMPUS)
    store(n=120)
    make_researcher()
    login(client)
    page = client.get("/admin/q/campus_safety/report").get_data(as_text=True)
    assert "通用报告（由问卷自动生成）" in page
    response = client.post("/admin/q/campus_safety/report", data={
        "wave": "", "compare_with": "", "layout": "generic", "fmt": "docx"})
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    headings = [p.text for p in docx.Document(io.BytesIO(response.data)).paragraphs if p.style.name == "Heading 1"]
    assert headings[:6] == ["一、调研基本情况", "二、调研结果", "三、存在的主要问题", "四、原因分析", "五、对策建议", "六、结论"]
