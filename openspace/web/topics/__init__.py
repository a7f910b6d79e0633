from flask import Blueprint

bp = Blueprint("topics", __name__)

from . import routes  # noqa: E402,F401
