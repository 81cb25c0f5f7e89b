"""The resident's survey: one section per page, working with or without JavaScript.

Without JavaScript every page is a form post: the server decides relevance,
validates the page and carries the other pages' answers in hidden fields.
With JavaScript the same page runs the whole questionnaire on the device and
submits through the JSON API (see ``static/survey/survey.js``).
"""

from __future__ import annotations

import uuid

from flask import (Blueprint, Response, abort, current_app, make_response, redirect, render_template,
                   request, send_from_directory, url_for)
from flask_login import current_user, login_required

from surveyapp import posters, responses
from surveyapp.extensions import limiter
from surveyapp.models.base import utcnow
from surveyapp.questionnaire.validate import validate
from surveyapp.survey import markup, rosters
from surveyapp.survey.context import SurveyContext, load_context
from surveyapp.survey.formdata import answers_from_form
from surveyapp.survey.pages import Page

bp = Blueprint("survey", __name__, template_folder="templates")
bp.add_app_template_filter(markup.render, "md")
bp.add_app_template_filter(markup.render_inline, "md_inline")


# Defence in depth beside escaping and sanitising: the survey pages run only
# this server's own scripts and send data only back to it.
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
                               "connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}


@bp.after_request
def _security_headers(response):
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    return response


def _submit_limit() -> str:
    return current_app.config["SUBMIT_RATE_LIMIT"]


def _not_a_submission() -> bool:
    """Page-to-page navigation is not rate limited; only the final submission is."""
    return request.form.get("_action") != "submit"


@bp.get("/s/sw.js")
def service_worker():
    """The offline service worker, served so that it may control every survey under /s/."""
    reply = send_from_directory(current_app.static_folder, "survey/sw.js", mimetype="text/javascript", max_age=0)
    reply.headers["Service-Worker-Allowed"] = "/s/"
    return reply


@bp.get("/s/<form_id>")
def start(form_id: str):
    """The first page of the current version, for a community's channel with ?c=."""
    ctx = load_context(form_id)
    if ctx.state != "open":
        return render_template("survey/closed.html", ctx=ctx), 200
    if ctx.answered_on_this_device():
        return render_template("survey/already.html", ctx=ctx)
    return ctx.render_page(0, answers={}, errors=[], key=uuid.uuid4().hex, started=_now())


@bp.get("/s/<form_id>/interview")
@login_required
def interview(form_id: str):
    """The same survey for a signed-in field worker taking many interviews on one device."""
    ctx = load_context(form_id, mode="interview")
    if ctx.state != "open":
        return render_template("survey/closed.html", ctx=ctx), 200
    return ctx.render_page(0, answers={}, errors=[], key=uuid.uuid4().hex, started=_now())


@bp.post("/s/<form_id>")
@limiter.limit(_submit_limit, exempt_when=_not_a_submission)
def page(form_id: str):
    """A posted page: go back, add or remove a roster entry, show its errors, show the next
    page, or submit."""
    mode = "interview" if request.form.get("_mode") == "interview" and current_user.is_authenticated else "self"
    ctx = load_context(form_id, mode=mode)
    if ctx.state != "open":
        return render_template("survey/closed.html", ctx=ctx), 200
    index = ctx.page_index(request.form.get("_page"))
    key = request.form.get("_key") or uuid.uuid4().hex
    started = request.form.get("_started") or _now()
    raw = answers_from_form(ctx.questions, request.form, ctx.repeats)
    result = validate(ctx.compiled, raw, drop_irrelevant=True)
    # Answers to questions that a changed earlier answer made irrelevant are dropped.
    answers = rosters.keep_relevant(raw, result.relevant)
    if request.form.get("_action") == "back":
        return ctx.render_page(ctx.previous_page(index, result), answers, [], key, started)
    here = ctx.pages[index]
    # A roster's 添加/删除 button, or a changed count of entries: the same page again.
    if rosters.change_entries(ctx.compiled, answers, request.form.get("_add"), request.form.get("_remove")) \
            or rosters.fit_counts(ctx.compiled, answers, result.values, here.repeats()):
        return ctx.render_page(index, answers, [], key, started)
    # Without JavaScript, questions that this page's own answers switched on are shown
    # now, before moving on (and without an error, as nobody has seen them yet).
    new = _newly_shown(here, result)
    errors = [e for e in result.errors if here.owns(e.field) and e.field not in new]
    if new:
        return ctx.render_page(index, answers, errors, key, started, result.relevant)
    following = ctx.next_page(index, result)
    if errors or following is not None:
        return ctx.render_page(index if errors else following, answers, errors, key, started, result.relevant)
    return _submit(ctx, result, answers, key, started)


def _newly_shown(page: Page, result) -> set[str]:
    """The page's relevant fields that were not on it when it was posted."""
    shown_before = set(request.form.get("_shown", "").split())
    return {name for name in page.fields(result.relevant) if name not in shown_before}


def _submit(ctx: SurveyContext, result, answers: dict, key: str, started: str):
    try:
        responses.submit(ctx.form_id, ctx.submittable(result), channel=ctx.channel, key=key,
                         started_at=responses.parse_time(started), mode=ctx.mode,
                         field_worker_id=current_user.id if ctx.mode == "interview" else None)
    except responses.SubmissionRejected as exc:
        return ctx.render_page(ctx.first_page_with(exc.errors), answers, exc.errors, key, started)
    except responses.QuestionnaireClosed:
        return render_template("survey/closed.html", ctx=ctx)
    except responses.KeyReused:
        abort(409)
    target = url_for("survey.thanks", form_id=ctx.form_id, lang=ctx.language_param, mode=ctx.mode_param)
    reply = make_response(redirect(target, code=303))
    if ctx.one_per_device:
        reply.set_cookie(ctx.device_cookie, "1", max_age=current_app.config["DEVICE_COOKIE_DAYS"] * 86400,
                         samesite="Lax", path=f"/s/{ctx.form_id}")
    return reply


@bp.get("/s/<form_id>/qr.<any(svg, png):kind>")
def qr_code(form_id: str, kind: str):
    """The QR code of the survey link (of a channel with ?c=), for posters and slides."""
    ctx = load_context(form_id)
    link = posters.survey_link(public_url(), form_id, ctx.channel)
    if kind == "svg":
        return Response(posters.qr_svg(link), mimetype="image/svg+xml")
    return Response(posters.qr_png(link), mimetype="image/png")


def public_url() -> str:
    """The base of public links: configured, or the one this request came in on."""
    return current_app.config["PUBLIC_URL"] or request.url_root


@bp.get("/s/<form_id>/thanks")
def thanks(form_id: str):
    """Shown once a response is stored."""
    ctx = load_context(form_id, mode="interview" if request.args.get("mode") == "interview" else "self")
    return render_template("survey/thanks.html", ctx=ctx)


def _now() -> str:
    return utcnow().isoformat(timespec="seconds")

