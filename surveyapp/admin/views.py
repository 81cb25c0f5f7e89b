"""Researcher pages: sign in, and the list of questionnaires with their returns."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required, login_user, logout_user
from sqlalchemy import select
from wtforms import SelectChoice

from surveyapp import catalogue, posters
from surveyapp.survey.views import public_url
from surveyapp.admin.forms import LoginForm, ReportForm
from surveyapp.extensions import db, login_manager
from surveyapp.models import Researcher

bp = Blueprint("admin", __name__, template_folder="templates")
login_manager.login_view = "admin.login"
login_manager.login_message = "请先登录"


@bp.route("/login", methods=["GET", "POST"])
def login():
    """The sign-in page."""
    form = LoginForm()
    if form.validate_on_submit():
        researcher = db.session.scalar(select(Researcher).where(Researcher.username == form.username.data))
        if researcher and researcher.active and researcher.check_password(form.password.data):
            login_user(researcher)
            return redirect(_safe_next(request.args.get("next")))
        flash("用户名或密码错误")
    return render_template("admin/login.html", form=form)


@bp.post("/logout")
@bp.get("/logout")
@login_required
def logout():
    """Sign out and go back to the sign-in page."""
    logout_user()
    return redirect(url_for("admin.login"))


@bp.get("/")
@login_required
def index():
    """Questionnaires, their current versions and how many responses came in."""
    return render_template("admin/index.html", rows=catalogue.overview())


@bp.get("/q/<form_id>")
@login_required
def questionnaire(form_id: str):
    """A questionnaire's channels: links, QR codes, posters, and the interview link."""
    row = next((r for r in catalogue.overview() if r.form_id == form_id), None)
    if row is None:
        abort(404)
    base = public_url()
    links = [(code, label, posters.survey_link(base, form_id, code)) for code, label in row.channels]
    return render_template("admin/questionnaire.html", row=row, links=links,
                           main_link=posters.survey_link(base, form_id))


@bp.get("/q/<form_id>/poster.pdf")
@login_required
def poster(form_id: str):
    """An A4 poster (PDF) for a channel's notice board: title, purpose, QR, link, time."""
    sheet = catalogue.poster(form_id, request.args.get("c"), public_url())
    if sheet is None:
        abort(404)
    pdf = posters.poster_pdf(render_template("admin/poster.html", poster=sheet))
    name = f"{form_id}-{request.args.get('c') or 'all'}-poster.pdf"
    return Response(pdf, mimetype="application/pdf", headers={"Content-Disposition": f'inline; filename="{name}"'})


@bp.route("/q/<form_id>/report", methods=["GET", "POST"])
@login_required
def report(form_id: str):
    """生成报告: choose waves, communities, layout and format; download the 调研报告."""
    from surveyapp import reports   # pandas, statsmodels and the renderers load on first use, not at start-up

    if not current_user.can_read_responses:
        abort(403)
    options = reports.options(form_id)
    if options is None:
        abort(404)
    form = ReportForm()
    form.wave.choices = [SelectChoice("", "全部答卷")] + [SelectChoice(w, w) for w in options.waves]
    form.compare_with.choices = [SelectChoice("", "不对比")] + [SelectChoice(w, w) for w in options.waves]
    form.channels.choices = [SelectChoice(code, label) for code, label in options.channels]
    form.layout.choices = [SelectChoice(name, "通用报告（由问卷自动生成）" if name == reports.GENERIC else name)
                           for name in options.layouts]
    if form.validate_on_submit():
        try:
            built = reports.build(form_id, layout=form.layout.data, wave=form.wave.data or None,
                                  compare_with=form.compare_with.data or None, channels=tuple(form.channels.data))
        except reports.ReportError as exc:
            flash(str(exc))
        else:
            data, mimetype = reports.download(built, form.fmt.data)
            name = f"{form_id}-{form.wave.data or 'all'}-report.{'zip' if form.fmt.data == 'md' else form.fmt.data}"
            return Response(data, mimetype=mimetype, headers={"Content-Disposition": f'attachment; filename="{name}"'})
    return render_template("admin/report.html", form=form, options=options, form_id=form_id)


def _safe_next(target: str | None) -> str:
    """Only redirect within this site after signing in."""
    if target and not urlsplit(target).netloc and target.startswith("/"):
        return target
    return url_for("admin.index")
