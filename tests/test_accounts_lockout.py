"""Repeated wrong passwords lock an account for a while; the right one then fails too."""
from datetime import timedelta

from app.accounts.models import User
from app.accounts.security import authenticate
from app.clock import utcnow
from app.extensions import db
from tests import factories as f


def login(client, password):
    return client.post("/api/v1/auth/token", json={"username": "handler", "password": password})


def test_five_wrong_passwords_lock_the_account_even_for_the_right_password(client, app):
    # given a user
    f.user("handler", (f.unit("V1"), "handler"))
    # when five wrong passwords are tried
    for _ in range(5):
        assert login(client, "wrong password").status_code == 401
    # then the right password is refused too, with the same answer as a wrong one
    locked = login(client, f.PASSWORD)
    assert locked.status_code == 401
    assert locked.json["message"] == login(client, "wrong password").json["message"]
    user = db.session.scalar(db.select(User).where(User.username == "handler"))
    assert user.locked_until is not None and user.locked_until > utcnow() + timedelta(minutes=14)


def test_the_lock_ends_after_its_time_and_a_success_resets_the_count(client, app):
    f.user("handler", (f.unit("V1"), "handler"))
    for _ in range(5):
        login(client, "wrong password")
    user = db.session.scalar(db.select(User).where(User.username == "handler"))
    user.locked_until = utcnow() - timedelta(seconds=1)  # the lock time has passed
    db.session.commit()
    assert login(client, f.PASSWORD).status_code == 201
    for _ in range(4):
        login(client, "wrong password")
    assert login(client, f.PASSWORD).status_code == 201  # four failures then a success: no lock
    db.session.refresh(user)
    assert user.failed_logins == 0 and user.locked_until is None


def test_an_unknown_user_is_refused_without_error(app):
    assert authenticate("nobody", "whatever") is None


def test_a_cheaply_hashed_password_is_rehashed_at_full_cost_on_first_login(app):
    # given a user whose generated one-time password was hashed with a cheap profile (imports)
    from argon2 import PasswordHasher

    cheap = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
    row = f.user("imported", (f.unit("V1"), "handler"))
    row.password_hash = cheap.hash("generated-one-time-pw")
    db.session.commit()
    # when they log in
    assert authenticate("imported", "generated-one-time-pw") is not None
    # then the stored hash has the full-cost parameters and still verifies
    db.session.refresh(row)
    assert "m=8," not in row.password_hash and PasswordHasher().verify(row.password_hash,
                                                                       "generated-one-time-pw")
    assert not PasswordHasher().check_needs_rehash(row.password_hash)
