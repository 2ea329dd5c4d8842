"""The bell over the API: one's own notifications, newest first, the unread count, and marking one
read; someone else's notification is 'not found'."""
from datetime import timedelta

import pytest

from app.clock import utcnow
from app.extensions import db
from app.notifications.models import Notification
from tests import factories as f

URL = "/api/v1/notifications"


@pytest.fixture
def bell(app):
    """Handler `anna` has three notifications (one read), `bert` has one. Returns ids by text."""
    unit = f.unit("210902001001", "village")
    anna, bert = f.user("anna", (unit, "handler")), f.user("bert", (unit, "auditor"))
    now = utcnow()
    rows = {
        "old": Notification(user_id=anna.id, kind="assigned", text="old", created_at=now - timedelta(hours=3),
                            read_at=now - timedelta(hours=2)),
        "middle": Notification(user_id=anna.id, kind="reminder", text="middle",
                               created_at=now - timedelta(hours=2)),
        "new": Notification(user_id=anna.id, kind="overdue", text="new", created_at=now - timedelta(hours=1)),
        "berts": Notification(user_id=bert.id, kind="assigned", text="berts", created_at=now),
    }
    db.session.add_all(rows.values())
    db.session.commit()
    return {text: row.id for text, row in rows.items()}


def test_list_is_own_newest_first_and_filters_unread(client, bell):
    anna = f.auth(client, "anna")
    listed = client.get(URL, headers=anna)
    assert listed.status_code == 200
    assert [n["text"] for n in listed.json] == ["new", "middle", "old"]
    assert listed.json[2]["read_at"] and listed.json[0]["read_at"] is None
    unread = client.get(URL, query_string={"unread": "true"}, headers=anna)
    assert [n["text"] for n in unread.json] == ["new", "middle"]
    limited = client.get(URL, query_string={"limit": 1}, headers=anna)
    assert [n["text"] for n in limited.json] == ["new"]
    assert client.get(URL, query_string={"limit": 0}, headers=anna).status_code == 422


def test_count_and_read(client, bell):
    # given anna with two unread notifications
    anna = f.auth(client, "anna")
    assert client.get(f"{URL}/count", headers=anna).json == {"unread": 2}

    # when she reads one, it is marked read and the count drops; reading it again changes nothing
    read = client.post(f"{URL}/{bell['new']}/read", headers=anna)
    assert read.status_code == 200 and read.json["id"] == bell["new"] and read.json["read_at"]
    again = client.post(f"{URL}/{bell['new']}/read", headers=anna)
    assert again.status_code == 200 and again.json["read_at"] == read.json["read_at"]
    assert client.get(f"{URL}/count", headers=anna).json == {"unread": 1}


def test_someone_elses_notification_is_not_found(client, bell):
    # given anna and bert's notification
    anna = f.auth(client, "anna")

    # when anna tries to read it, then 404 and it stays unread
    response = client.post(f"{URL}/{bell['berts']}/read", headers=anna)
    assert response.status_code == 404 and response.json["code"] == "not_found"
    assert client.post(f"{URL}/999999/read", headers=anna).status_code == 404
    db.session.expire_all()
    assert db.session.get(Notification, bell["berts"]).read_at is None
    # and bert (an auditor) sees only his own
    bert = f.auth(client, "bert")
    assert [n["text"] for n in client.get(URL, headers=bert).json] == ["berts"]
    assert client.get(f"{URL}/count", headers=bert).json == {"unread": 1}


def test_the_bell_needs_a_token(client, bell):
    assert client.get(URL).status_code == 401
    assert client.get(f"{URL}/count").status_code == 401
    assert client.post(f"{URL}/{bell['new']}/read").status_code == 401
