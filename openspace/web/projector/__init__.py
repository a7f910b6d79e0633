from flask import Blueprint

bp = Blueprint("projector", __name__)

from . import routes  # noqa: E402,F401
