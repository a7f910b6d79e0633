"""Passwords are stored as scrypt hashes. The suite's TestConfig hashes with one round of PBKDF2
instead (its thousands of accounts and logins spent a fifth of its CPU time in scrypt): here the
app is made with the production setting, and an account is made, logged in and refused as
everywhere else, through the domain's own functions."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from config import Config, TestConfig
from openspace.domain import accounts
from openspace.domain.errors import NotAuthenticated
from openspace.extensions import db
from openspace.models import User
from tests.conftest import close_app, make_app


def test_the_production_config_hashes_with_scrypt():
    assert Config.PASSWORD_HASH_METHOD == "scrypt"
    assert TestConfig.PASSWORD_HASH_METHOD != Config.PASSWORD_HASH_METHOD  # why this test exists


@pytest.mark.parametrize("method", [Config.PASSWORD_HASH_METHOD, TestConfig.PASSWORD_HASH_METHOD])
def test_an_account_stores_its_password_hashed_with_the_configured_method(tmp_path, method):
    app = make_app(tmp_path, PASSWORD_HASH_METHOD=method)
    try:
        with app.app_context():
            accounts.register_user(email="ada@example.org", password="correct horse",
                                   name="Ada")
            stored = db.session.scalar(sa.select(User.password_hash))
            assert stored.startswith(method.split(":")[0] + ":")
            assert stored.startswith(method + "$") or method == "scrypt"
            assert "correct horse" not in stored
            assert accounts.authenticate(email="ada@example.org",
                                         password="correct horse").email == "ada@example.org"
            with pytest.raises(NotAuthenticated):
                accounts.authenticate(email="ada@example.org", password="wrong horse")
            with pytest.raises(NotAuthenticated):  # an unknown email checks a dummy hash
                accounts.authenticate(email="nobody@example.org", password="correct horse")
    finally:
        close_app(app)
