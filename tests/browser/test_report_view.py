"""The report's HTML view in Chromium at a phone and a desktop width."""

from __future__ import annotations

from surveyapp.reporting.render_html import render_html
from tests.browser.conftest import SCREENSHOTS
from tests.reporting.sample import sample_report


def test_the_report_reads_on_a_phone_and_a_desktop(browser):
    """No sideways scrolling, the chart shown, nothing fetched; screenshots for a human look."""
    report = sample_report()
    html = render_html(report)
    for width, height in ((390, 844), (1280, 800)):
        page = browser.new_page(viewport={"width": width, "height": height}, locale="zh-CN")
        requests = []
        page.on("request", lambda request: requests.append(request.url))
        page.set_content(html)
        assert page.evaluate("document.scrollingElement.scrollWidth") <= width
        assert page.locator("figure img").evaluate("img => img.naturalWidth > 0 && img.complete")
        assert [url for url in requests if not url.startswith("data:")] == []
        page.screenshot(path=str(SCREENSHOTS / f"report-html-{width}.png"), full_page=True)
        page.close()
