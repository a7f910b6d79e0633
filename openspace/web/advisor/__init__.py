from flask import Blueprint

bp = Blueprint("advisor", __name__)

from . import routes  # noqa: E402,F401
