"""A wheel install (the built package, not the checkout) builds reports: the layouts, template and
stylesheet are package data, and a questionnaire with no layout gets the generic report."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile

import pytest

from tests.conftest import DATA, ROOT


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """The package built as a wheel and installed into a folder of its own."""
    out = tmp_path_factory.mktemp("wheel")
    build = subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation",
                            "-w", str(out / "dist"), str(ROOT)], capture_output=True, text=True, cwd=out)
    assert build.returncode == 0, build.stderr[-2000:]
    (wheel,) = (out / "dist").glob("surveyapp-*.whl")
    target = out / "site"
    install = subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--target", str(target),
                              str(wheel)], capture_output=True, text=True)
    assert install.returncode == 0, install.stderr[-2000:]
    return wheel, target, out


def test_the_wheel_holds_the_layouts_and_report_template(installed):
    wheel, _, _ = installed
    names = set(zipfile.ZipFile(wheel).namelist())
    for name in ("community_policing.yaml", "unit_security.yaml", "report.css", "templates/report.html.j2"):
        assert f"surveyapp/reporting/layouts/{name}" in names
    assert "surveyapp/reporting/build.py" in names


def test_a_wheel_install_builds_bundled_and_generic_reports(installed):
    _, target, out = installed
    env = {**os.environ, "PYTHONPATH": str(target), "SURVEYAPP_DATABASE_URL": f"sqlite:///{out / 'wheel.db'}"}
    env.pop("SURVEYAPP_TEST_DATABASE_URL", None)

    def flask(*args: str) -> str:
        done = subprocess.run([sys.executable, "-m", "flask", "--app", "surveyapp", *args], capture_output=True,
                              text=True, cwd=out, env=env)
        assert done.returncode == 0, done.stdout + done.stderr
        return done.stdout + done.stderr

    where = subprocess.run([sys.executable, "-c", "import surveyapp; print(surveyapp.__file__)"], capture_output=True,
                           text=True, cwd=out, env=env).stdout
    assert where.startswith(str(target)), where
    flask("db", "upgrade")
    flask("questionnaire", "import", str(ROOT / "questionnaires" / "unit_security.yaml"),
          str(ROOT / "questionnaires" / "unit_security.analysis.yaml"), str(DATA / "campus_safety.yaml"))
    flask("responses", "simulate", "unit_security", "--n", "60", "--seed", "1")
    flask("responses", "simulate", "campus_safety", "--n", "60", "--seed", "1")
    assert "docx" in flask("report", "build", "unit_security", "--format", "docx", "--output", str(out / "u.docx"))
    assert "pdf" in flask("report", "build", "campus_safety", "--format", "pdf", "--output", str(out / "c.pdf"))
    assert (out / "c.pdf").read_bytes()[:5] == b"%PDF-"
