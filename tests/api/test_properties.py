"""Property tests: arbitrary submissions never cause a 500 or a partial response."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from surveyapp.extensions import db
from surveyapp.models import Response
from surveyapp.questionnaire import load_file
from surveyapp.questionnaire.compiled import compile_questionnaire
from surveyapp.questionnaire.validate import validate
from tests.builders import TINY_VALID
from tests.conftest import DATA

COMPILED = compile_questionnaire(load_file(DATA / "tiny.yaml"))
NAMES = [q.name for q in COMPILED.order] + ["zzz", ""]
scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), st.text(max_size=30),
                    st.sampled_from(["s1", "s2", "c1", "c2", "theft", "none", "1", "2", "OK", "16", "2026-01-01"]))
values = st.one_of(scalars, st.lists(scalars, max_size=4), st.dictionaries(st.text(max_size=5), scalars, max_size=2))
answer_sets = st.one_of(
    st.dictionaries(st.sampled_from(NAMES) | st.text(max_size=10), values, max_size=10),
    st.fixed_dictionaries({}, optional={k: st.just(v) | values for k, v in TINY_VALID.items()}),
)


def count() -> int:
    return db.session.scalar(select(func.count()).select_from(Response))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(answers=answer_sets, channel=st.none() | st.sampled_from(["c1", "x"]))
def test_arbitrary_answers(client, tiny, answers, channel):
    """Is every arbitrary submission either stored whole (201) or refused with nothing stored (422)?"""
    before = count()
    body = {"answers": answers, **({"channel": channel} if channel else {})}
    resp = client.post("/api/v1/questionnaires/tiny/responses", json=body)
    assert resp.status_code in (201, 422), resp.get_data(as_text=True)
    if resp.status_code == 422:
        assert count() == before
        assert all(e["field"] and e["message"] for e in resp.json["errors"])
    else:
        assert count() == before + 1
        stored = db.session.get(Response, resp.json["id"]).answers
        assert stored == validate(COMPILED, answers).values
