"""The user of a bearer token (app/accounts/security.user_for_token) is read in one query and
becomes the session's own object, as if the ORM had loaded it: its memberships are there without
another query, its lazy relations load, and a change to it is written like any loaded object's."""
from datetime import timedelta

from sqlalchemy import event

from app.accounts.models import User
from app.accounts.security import issue_token, user_for_token
from app.clock import utcnow
from app.extensions import db
from tests import factories as f


def _statements_during(fn):
    seen = []

    def count(*_args):
        seen.append(1)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        return fn(), len(seen)
    finally:
        event.remove(db.engine, "before_cursor_execute", count)


def test_the_token_user_comes_with_memberships_in_one_query(app):
    # given a handler of two units and a token of theirs
    north, south = f.unit("NORTH"), f.unit("SOUTH")
    token, _ = issue_token(f.user("handler", (north, "handler"), (south, "unit_reviewer")), 12)
    db.session.remove()
    # when the token is looked up in a new session and the user's roles are read
    user, statements = _statements_during(
        lambda: (found := user_for_token(token), found.roles, found.unit_ids)[0])
    # then one query found the user and both memberships
    assert statements == 1
    assert user.username == "handler" and user.active
    assert user.roles == {"handler", "unit_reviewer"} and user.unit_ids == {north.id, south.id}
    # and they are the session's objects: relations load, and a change is written as an UPDATE
    assert user in db.session and {m.unit.code for m in user.memberships} == {"NORTH", "SOUTH"}
    assert db.session.get(User, user.id) is user
    user.display_name = "Renamed"
    db.session.commit()
    db.session.remove()
    assert db.session.get(User, user.id).display_name == "Renamed"


def test_a_user_without_memberships_has_no_roles(app):
    token, _ = issue_token(f.user("nobody"), 12)
    db.session.remove()
    user = user_for_token(token)
    assert user.username == "nobody" and user.memberships == [] and user.roles == set()


def test_the_session_keeps_the_user_it_has_already(app):
    # given a session that has loaded the token's user already
    unit = f.unit("NORTH")
    token, _ = issue_token(f.user("handler", (unit, "handler")), 12)
    loaded = db.session.get(User, f.user_id("handler"))
    # when the token is looked up in that session, then it answers with that same object
    assert user_for_token(token) is loaded


def test_expired_tokens_unknown_tokens_and_inactive_users_find_nobody(app):
    unit = f.unit("NORTH")
    handler = f.user("handler", (unit, "handler"))
    expired, row = issue_token(handler, 12)
    row.expires_at = utcnow() - timedelta(seconds=1)
    inactive, _ = issue_token(f.user("gone", (unit, "handler")), 12)
    db.session.get(User, f.user_id("gone")).active = False
    db.session.commit()
    db.session.remove()
    assert user_for_token(expired) is None
    assert user_for_token(inactive) is None
    assert user_for_token("not-a-token") is None
