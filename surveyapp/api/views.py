"""API routes: thin wrappers over the questionnaire and response services."""

from __future__ import annotations

from flask import Blueprint, Response, current_app, jsonify, request, stream_with_context
from sqlalchemy import select

from surveyapp import export, responses
from surveyapp.api.errors import field_errors, json_error
from surveyapp.api.openapi import openapi_document
from surveyapp.auth import api_researcher, researcher_api
from surveyapp.extensions import db, limiter
from surveyapp.models import Questionnaire, QuestionnaireVersion

bp = Blueprint("api", __name__)

BODY_KEYS = {"answers", "channel", "started_at", "mode"}


@bp.get("/openapi.json")
def openapi():
    """The OpenAPI 3.1 description of this API."""
    return jsonify(openapi_document())


@bp.get("/v1/questionnaires")
def list_questionnaires():
    """Every questionnaire: id, current version, title and status."""
    rows = db.session.scalars(select(Questionnaire).order_by(Questionnaire.form_id))
    return jsonify([_summary(q) for q in rows])


@bp.get("/v1/questionnaires/<form_id>")
def get_questionnaire(form_id: str):
    """The current version's definition."""
    questionnaire = _find(form_id)
    if questionnaire is None:
        return json_error(404, "not_found")
    return jsonify({**_summary(questionnaire), "definition": questionnaire.current_version.definition})


@bp.get("/v1/questionnaires/<form_id>/versions/<int:number>")
def get_version(form_id: str, number: int):
    """Any stored version's definition: old versions stay readable."""
    version = db.session.scalar(
        select(QuestionnaireVersion).join(Questionnaire, Questionnaire.id == QuestionnaireVersion.questionnaire_id)
        .where(Questionnaire.form_id == form_id, QuestionnaireVersion.number == number))
    if version is None:
        return json_error(404, "not_found")
    return jsonify({"id": form_id, "version": version.number, "checksum": version.checksum,
                    "imported_at": version.imported_at.isoformat(), "definition": version.definition})


@bp.post("/v1/questionnaires/<form_id>/responses")
@limiter.limit(lambda: current_app.config["SUBMIT_RATE_LIMIT"])
def post_response(form_id: str):
    """Validate and store one response; a repeated Idempotency-Key returns the first id."""
    body = request.get_json(silent=True)
    if body is None:
        return json_error(400, "bad_json")
    problem = _body_problem(body)
    if problem:
        return json_error(400, "bad_body", detail=problem)
    worker = api_researcher() if body.get("mode") == "interview" else None
    if body.get("mode") == "interview" and worker is None:
        return json_error(401, "field_worker_only")
    try:
        stored = responses.submit(
            form_id, body["answers"], channel=body.get("channel"),
            key=request.headers.get("Idempotency-Key") or None,
            started_at=responses.parse_time(body.get("started_at")), mode="interview" if worker else "self",
            field_worker_id=worker.id if worker else None)
    except responses.QuestionnaireNotFound:
        return json_error(404, "not_found")
    except responses.QuestionnaireClosed as exc:
        return json_error(409, exc.state)
    except responses.KeyReused:
        return json_error(422, "key_reused")
    except responses.SubmissionRejected as exc:
        return field_errors(exc.errors)
    if stored.created:
        return jsonify({"id": stored.id}), 201
    return jsonify({"id": stored.id}), 200, {"Idempotent-Replayed": "true"}


@bp.get("/v1/questionnaires/<form_id>/responses.csv")
@researcher_api
def export_csv(form_id: str):
    """Every response as CSV (UTF-8 with BOM); the codebook is linked."""
    if _find(form_id) is None:
        return json_error(404, "not_found")
    headers = {"Content-Disposition": f'attachment; filename="{form_id}-responses.csv"',
               "Link": f'</api/v1/questionnaires/{form_id}/codebook.csv>; rel="describedby"'}
    stream = stream_with_context(export.csv_lines(form_id))
    return Response(stream, mimetype="text/csv; charset=utf-8", headers=headers)


@bp.get("/v1/questionnaires/<form_id>/codebook.csv")
@researcher_api
def export_codebook(form_id: str):
    """What each CSV column means: question, label, values and their labels."""
    if _find(form_id) is None:
        return json_error(404, "not_found")
    headers = {"Content-Disposition": f'attachment; filename="{form_id}-codebook.csv"'}
    return Response(export.codebook_csv(form_id), mimetype="text/csv; charset=utf-8", headers=headers)


def _find(form_id: str) -> Questionnaire | None:
    questionnaire = db.session.scalar(select(Questionnaire).where(Questionnaire.form_id == form_id))
    return questionnaire if questionnaire and questionnaire.current_version else None


def _summary(q: Questionnaire) -> dict:
    version = q.current_version
    return {"id": q.form_id, "title": q.title, "status": q.status,
            "version": version.number if version else None,
            "checksum": version.checksum if version else None}


def _body_problem(body) -> str | None:
    """Why a request body cannot be a submission, or None."""
    if not isinstance(body, dict):
        return "expected a JSON object"
    if "answers" not in body:
        return "'answers' is missing"
    unknown = sorted(set(body) - BODY_KEYS)
    if unknown:
        return "unknown keys: " + ", ".join(str(k)[:40] for k in unknown[:5])
    if body.get("channel") is not None and not isinstance(body["channel"], str):
        return "'channel' must be a string"
    if body.get("mode") not in (None, "self", "interview"):
        return "'mode' must be 'self' or 'interview'"
    if body.get("started_at") is not None and responses.parse_time(body["started_at"]) is None:
        return "'started_at' must be an ISO 8601 time"
    return None

