"""SurveyApp: questionnaires in, responses stored, statistics and reports out."""

from __future__ import annotations

from flask import Flask

from surveyapp import database
from surveyapp.config import database_url, engine_options, load_secret_key


def create_app(config: object | dict | None = None) -> Flask:
    """Create a configured surveyapp instance.

    ``config`` is a config class or a mapping; tests pass a mapping.
    """
    app = Flask(__name__, instance_relative_config=True)
    app.config.from_object("surveyapp.config.Config")
    app.config.from_prefixed_env("SURVEYAPP")
    if isinstance(config, dict):
        app.config.update(config)
    elif config is not None:
        app.config.from_object(config)
    app.config.setdefault("SQLALCHEMY_DATABASE_URI", database_url(app.config["DATABASE_URL"], app.instance_path))
    app.config.setdefault("SQLALCHEMY_ENGINE_OPTIONS", engine_options(app.config["SQLALCHEMY_DATABASE_URI"]))
    app.config["SECRET_KEY"] = app.config["SECRET_KEY"] or load_secret_key(app.instance_path)

    from surveyapp import admin, api, assets, cli, errors, survey
    from surveyapp.extensions import csrf, db, limiter, login_manager, migrate

    db.init_app(app)
    migrate.init_app(app, db, directory=database.MIGRATIONS)
    csrf.init_app(app)
    login_manager.init_app(app)
    assets.init_app(app)
    limiter.init_app(app)

    app.register_blueprint(survey.bp)
    app.register_blueprint(admin.bp, url_prefix="/admin")
    app.register_blueprint(api.bp, url_prefix="/api")
    csrf.exempt(api.bp)

    errors.init_app(app)
    cli.init_app(app)
    return app
