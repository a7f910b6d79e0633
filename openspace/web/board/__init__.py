from flask import Blueprint

bp = Blueprint("board", __name__)

from . import pitches, routes  # noqa: E402,F401
