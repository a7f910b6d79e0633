from flask import Blueprint

from ...extensions import csrf

bp = Blueprint("api", __name__)
# The API checks CSRF itself (routes.py), only for cookie-authenticated unsafe requests:
# Bearer-token clients carry no ambient credential a foreign site could ride on.
csrf.exempt(bp)

from . import routes  # noqa: E402,F401
