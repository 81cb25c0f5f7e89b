"""Flask extensions, created unbound and attached in ``create_app``."""

from flask_compress import Compress
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect

from surveyapp import ratelimit  # noqa: F401  (registers the surveyapp-memory:// storage)
from surveyapp.models.base import Base

db = SQLAlchemy(model_class=Base)
migrate = Migrate()
csrf = CSRFProtect()
login_manager = LoginManager()
compress = Compress()
# The client address is used only in memory (or Redis) to count requests;
# it is never written to the database.
limiter = Limiter(key_func=get_remote_address, default_limits=[])
