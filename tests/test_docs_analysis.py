"""docs/analysis.md is kept honest: its Python examples, commands and JSON samples all run.

* Every ```python block runs (except ```python no-run). Blocks that call ``create_app`` run
  against the test database after the doc's own setup commands (import, waves, administrative
  inputs, simulated responses); the others run from the repository root on the reference CSVs,
  and what they print must be exactly their ``# →`` comments.
* Every ``flask --app surveyapp …`` line of a ```sh block runs and succeeds.
* Every ```json block must be contained in the output of the ``analyze`` command before it
  (numbers to 1e-9; the sample may leave keys out but not change them).
"""

from __future__ import annotations

import contextlib
import io
import json
import math
import re
import shlex
from typing import Any

import pytest
from markdown_it import MarkdownIt

import surveyapp
from surveyapp import create_app
from surveyapp.analyze_cli import analyze_cli
from tests.conftest import ROOT

DOC = ROOT / "docs" / "analysis.md"
COMMAND = "flask --app surveyapp "


def fences() -> list[tuple[str, str, int]]:
    """(info string, content, line of the first content line) of every fenced block, in order."""
    tokens = MarkdownIt().parse(DOC.read_text(encoding="utf-8"))
    return [(t.info.strip(), t.content, t.map[0] + 2) for t in tokens if t.type == "fence"]


def python_blocks() -> list[tuple[str, int]]:
    return [(content, line) for info, content, line in fences()
            if info.split()[:1] == ["python"] and "no-run" not in info.split()[1:]]


def commands(block: str) -> list[list[str]]:
    """The ``flask --app surveyapp`` lines of a shell block, as argument lists (comments dropped)."""
    return [shlex.split(line[len(COMMAND):], comments=True) for line in block.splitlines()
            if line.startswith(COMMAND)]


def is_analyze(args: list[str]) -> bool:
    return args[:1] == ["analyze"]


def run_python(code: str, line: int, namespace: dict[str, Any]) -> str:
    """Execute a block (tracebacks point at the doc's lines); return what it printed."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile("\n" * (line - 1) + code, str(DOC), "exec"), namespace)
    return out.getvalue()


STORED = [(code, line) for code, line in python_blocks() if "create_app" in code]
ELSEWHERE = [(code, line) for code, line in python_blocks() if "create_app" not in code]


def test_the_doc_has_examples_of_both_kinds():
    """Are there examples on outside files and on stored responses, and analyze commands with samples?"""
    assert len(ELSEWHERE) >= 1 and len(STORED) >= 1
    assert any(info == "json" for info, _, _ in fences())
    assert any(is_analyze(args) for info, block, _ in fences() if info == "sh" for args in commands(block))


@pytest.mark.parametrize("code, line", ELSEWHERE, ids=[f"line{line}" for _, line in ELSEWHERE])
def test_examples_on_data_collected_elsewhere_print_what_the_doc_says(code, line, monkeypatch):
    """Does each example on the reference CSVs print exactly its '# →' lines?"""
    monkeypatch.chdir(ROOT)
    printed = run_python(code, line, {"__name__": "__analysis_doc__"}).splitlines()
    expected = re.findall(r"^# → (.*)$", code, re.M)
    assert printed == expected


@pytest.fixture
def analyze():
    """Run ``flask analyze ARGS`` (no database needed) from the repository root."""
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": "sqlite://", "SECRET_KEY": "t"})
    if "analyze" not in app.cli.commands:
        app.cli.add_command(analyze_cli)
    runner = app.test_cli_runner()

    def run(args: list[str]) -> dict:
        result = runner.invoke(args=args)
        assert result.exit_code == 0, f"{shlex.join(args)}\n{result.output}"
        return json.loads(result.output)
    return run


def contained(sample: Any, actual: Any, where: str = "$") -> None:
    """Assert that ``sample`` is ``actual`` with some dict keys left out (floats to 1e-9)."""
    if isinstance(sample, dict):
        assert isinstance(actual, dict), where
        for key, value in sample.items():
            assert key in actual, f"{where}.{key} is not in the output"
            contained(value, actual[key], f"{where}.{key}")
    elif isinstance(sample, list):
        assert isinstance(actual, list) and len(sample) == len(actual), where
        for i, (s, a) in enumerate(zip(sample, actual)):
            contained(s, a, f"{where}[{i}]")
    elif isinstance(sample, float) and not isinstance(actual, bool) and isinstance(actual, (int, float)):
        assert math.isclose(sample, actual, rel_tol=1e-9), f"{where}: {sample} != {actual}"
    else:
        assert sample == actual, f"{where}: {sample!r} != {actual!r}"


def test_analyze_commands_run_and_json_samples_match_their_output(analyze, monkeypatch):
    """Does every analyze command of the doc succeed, and is every JSON sample what it prints?"""
    monkeypatch.chdir(ROOT)
    last, checked = None, 0
    for info, block, line in fences():
        if info == "sh":
            for args in filter(is_analyze, commands(block)):
                last = analyze(args)
        elif info == "json":
            assert last is not None, f"line {line}: a JSON sample without an analyze command before it"
            contained(json.loads(block), last, f"line {line}")
            checked += 1
    assert checked >= 1


@pytest.fixture
def doc_setup(app, runner, tmp_path, monkeypatch):
    """Run the doc's own non-analyze commands in order, in a folder with its inputs.csv."""
    (tmp_path / "questionnaires").symlink_to(ROOT / "questionnaires", target_is_directory=True)
    csv_blocks = [block for info, block, _ in fences() if info == "csv"]
    assert csv_blocks, "the doc shows an administrative inputs CSV"
    (tmp_path / "inputs.csv").write_text(csv_blocks[0], encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    ran = []
    for info, block, _ in fences():
        if info != "sh":
            continue
        for args in commands(block):
            if is_analyze(args):
                continue
            result = runner.invoke(args=args)
            assert result.exit_code == 0, f"{shlex.join(args)}\n{result.output}"
            ran.append(args[:2])
    assert ["responses", "simulate"] in ran and ["inputs", "import"] in ran
    return app


def test_examples_on_stored_responses_run(doc_setup, monkeypatch):
    """Do the stored-response examples run on the bundled questionnaire with simulated responses?"""
    monkeypatch.setattr(surveyapp, "create_app", lambda *args, **kwargs: doc_setup)
    namespace: dict[str, Any] = {"__name__": "__analysis_doc__"}
    printed = "".join(run_python(code, line, namespace) for code, line in STORED)
    assert "安全感率" in printed and "个百分点" in printed and "per 10,000" in printed
    assert namespace["results"]["safety_rate"].n > 0
    assert namespace["weighted"].weighting["n_unweighted"] > 0
