from flask import Blueprint

bp = Blueprint("summary", __name__)

from . import routes  # noqa: E402,F401
