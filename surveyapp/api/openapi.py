"""The OpenAPI document of the JSON API, served at /api/openapi.json."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version


def _version() -> str:
    try:
        return version("surveyapp")
    except PackageNotFoundError:
        return "0.0.0"


def _error(description: str) -> dict:
    return {"description": description,
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}


FORM_ID = {"name": "form_id", "in": "path", "required": True, "schema": {"type": "string"}}

SCHEMAS = {
    "Error": {"type": "object", "required": ["error"], "properties": {"error": {
        "type": "object", "properties": {"code": {"type": "string"}, "message": {"type": "string"}}}}},
    "FieldErrors": {"type": "object", "required": ["errors"], "properties": {"errors": {
        "type": "array", "items": {"type": "object", "required": ["field", "message"], "properties": {
            "field": {"type": "string"}, "code": {"type": "string"}, "message": {"type": "string"}}}}}},
    "Summary": {"type": "object", "properties": {
        "id": {"type": "string"}, "title": {"type": "string"},
        "status": {"type": "string", "enum": ["open", "closed"]},
        "version": {"type": ["integer", "null"]}, "checksum": {"type": ["string", "null"]}}},
    "Submission": {"type": "object", "required": ["answers"], "additionalProperties": False, "properties": {
        "answers": {"type": "object", "description": (
            "question name -> value. select_one: the choice value (string); select_multiple and rank: "
            "a list of choice values (rank in order); integer/decimal/range: a number; date: YYYY-MM-DD; "
            "time: HH:MM; datetime: YYYY-MM-DDTHH:MM; text: a string; acknowledge: true or \"OK\". "
            "A roster (repeat group): a list of entries, each an object keyed by the roster's questions, "
            "e.g. \"member\": [{\"m_sex\": \"f\", \"m_age\": 41}]; errors inside an entry name it "
            "(member[2].m_age, entries counted from 1).")},
        "channel": {"type": "string", "description": "a channel code of the questionnaire"},
        "started_at": {"type": "string", "format": "date-time"},
        "mode": {"type": "string", "enum": ["self", "interview"],
                 "description": "interview: taken by the signed-in field worker (session or token)"}}},
}


def openapi_document() -> dict:
    """The whole document as a dict."""
    return {
        "openapi": "3.1.0",
        "info": {"title": "SurveyApp API", "version": _version()},
        "paths": {
            "/api/v1/questionnaires": {"get": {
                "summary": "List questionnaires", "operationId": "listQuestionnaires",
                "responses": {"200": {"description": "questionnaires", "content": {"application/json": {
                    "schema": {"type": "array", "items": {"$ref": "#/components/schemas/Summary"}}}}}}}},
            "/api/v1/questionnaires/{form_id}": {"get": {
                "summary": "The current version's definition", "operationId": "getQuestionnaire",
                "parameters": [FORM_ID],
                "responses": {"200": {"description": "summary plus 'definition'"},
                              "404": _error("no such questionnaire")}}},
            "/api/v1/questionnaires/{form_id}/versions/{number}": {"get": {
                "summary": "A stored version's definition", "operationId": "getVersion",
                "parameters": [FORM_ID, {"name": "number", "in": "path", "required": True,
                                         "schema": {"type": "integer"}}],
                "responses": {"200": {"description": "version number, checksum, import time and 'definition'"},
                              "404": _error("no such questionnaire or version")}}},
            "/api/v1/questionnaires/{form_id}/responses": {"post": {
                "summary": "Submit one response", "operationId": "postResponse",
                "parameters": [FORM_ID, {"name": "Idempotency-Key", "in": "header", "required": False,
                                         "schema": {"type": "string", "maxLength": 100}}],
                "requestBody": {"required": True, "content": {"application/json": {
                    "schema": {"$ref": "#/components/schemas/Submission"}}}},
                "responses": {
                    "201": {"description": "stored", "content": {"application/json": {"schema": {
                        "type": "object", "properties": {"id": {"type": "integer"}}}}}},
                    "200": {"description": "already stored under this Idempotency-Key (same id)"},
                    "400": _error("malformed JSON or body"),
                    "404": _error("no such questionnaire"),
                    "409": _error("questionnaire closed"),
                    "401": _error("interview mode without a signed-in field worker"),
                    "413": _error("body too large"),
                    "429": _error("too many submissions from this client"),
                    "422": {"description": "invalid answers, each error beside its field", "content": {
                        "application/json": {"schema": {"$ref": "#/components/schemas/FieldErrors"}}}}}}},
            "/api/v1/questionnaires/{form_id}/responses.csv": {"get": {
                "summary": "Export responses as CSV (UTF-8 with BOM)", "operationId": "exportResponses",
                "parameters": [FORM_ID], "security": [{"bearer": []}, {"session": []}],
                "responses": {"200": {"description": "CSV", "content": {"text/csv": {}}},
                              "401": _error("login or token required"), "404": _error("no such questionnaire")}}},
            "/api/v1/questionnaires/{form_id}/codebook.csv": {"get": {
                "summary": "The codebook of the CSV export", "operationId": "exportCodebook",
                "parameters": [FORM_ID], "security": [{"bearer": []}, {"session": []}],
                "responses": {"200": {"description": "CSV", "content": {"text/csv": {}}},
                              "401": _error("login or token required"), "404": _error("no such questionnaire")}}},
        },
        "components": {"schemas": SCHEMAS, "securitySchemes": {
            "bearer": {"type": "http", "scheme": "bearer"},
            "session": {"type": "apiKey", "in": "cookie", "name": "session"}}},
    }
