"""Notifications: the outbox commits with the change that caused it, and the dispatcher delivers
it through real senders (a real SMTP server here), retrying with back-off when a sender is down."""
import email
import socket
import threading
from datetime import timedelta
from email import policy
from typing import ClassVar

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import func, select, update

from app.accounts.models import User
from app.clock import utcnow
from app.engine.transaction import transaction
from app.extensions import db
from app.notifications.dispatcher import dispatch_due, retry_delay
from app.notifications.models import Notification, OutboxMessage, SmsLog
from app.notifications.outbox import enqueue, notify_units
from tests import factories as f

SUBJECT = "案件 HY-2024-0001 已分派给您"
BODY = "您有一件新的诉求待办理：路灯损坏（幸福路 12 号）。请在三个工作日内处理。"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Recorder:
    """aiosmtpd handler that keeps every message it accepts."""

    def __init__(self):
        self.envelopes = []

    async def handle_DATA(self, server, session, envelope):
        self.envelopes.append(envelope)
        return "250 OK"

    @property
    def messages(self):
        return [email.message_from_bytes(e.original_content or e.content, policy=policy.default)
                for e in self.envelopes]


def start_smtp(port: int) -> tuple[Controller, Recorder]:
    recorder = Recorder()
    controller = Controller(recorder, hostname="127.0.0.1", port=port)
    controller.start()
    return controller, recorder


@pytest.fixture
def smtp():
    controller, recorder = start_smtp(free_port())
    recorder.port = controller.port
    yield recorder
    controller.stop()


@pytest.fixture
def build(app, make_app):
    """An app with overrides, its context pushed; `app` has emptied the tables first."""
    def _build(**overrides):
        other = make_app(MAIL_SERVER="127.0.0.1", MAIL_FROM="huiyin@example.gov.cn", **overrides)
        ctx = other.app_context()
        ctx.push()
        contexts.append(ctx)
        return other

    contexts = []
    yield _build
    for ctx in reversed(contexts):
        db.session.remove()
        ctx.pop()


def person(username, email=None, mobile=None, *memberships):
    row = f.user(username, *memberships)
    row.email, row.mobile = email, mobile
    db.session.commit()
    return row


def outbox(**filters):
    return list(db.session.scalars(select(OutboxMessage).filter_by(**filters).order_by(OutboxMessage.id)
                                   .execution_options(populate_existing=True)))


def make_due():
    db.session.execute(update(OutboxMessage).values(next_attempt_at=utcnow() - timedelta(seconds=1)))
    db.session.commit()


def test_email_in_app_and_sms_are_delivered(build, smtp):
    app = build(MAIL_PORT=smtp.port)
    user = person("wang", "wang@example.gov.cn", "13800000001")
    with transaction():
        added = enqueue("assigned", BODY, users=[user], subject=SUBJECT, case_id=None)
    assert sorted(m.channel for m in added) == ["email", "in_app", "sms"]

    assert dispatch_due(app) == 3
    assert {m.status for m in outbox()} == {"sent"}
    assert all(m.sent_at is not None and m.attempts == 0 for m in outbox())

    [mail] = smtp.messages
    assert mail["Subject"] == SUBJECT
    assert mail["To"] == "wang@example.gov.cn"
    assert mail["From"] == "huiyin@example.gov.cn"
    assert mail.get_content().strip() == BODY
    assert smtp.envelopes[0].rcpt_tos == ["wang@example.gov.cn"]

    [bell] = db.session.scalars(select(Notification)).all()
    assert (bell.user_id, bell.kind, bell.text, bell.read_at) == (user.id, "assigned", BODY, None)
    [sms] = db.session.scalars(select(SmsLog)).all()
    assert (sms.phone, sms.text) == ("13800000001", BODY)

    assert dispatch_due(app) == 0  # nothing sent twice
    assert len(smtp.envelopes) == 1


def test_channels_follow_the_users_addresses(build, smtp):
    build(MAIL_PORT=smtp.port)
    bare = person("bare")
    mailer = person("mailer", "m@example.gov.cn")
    texter = person("texter", None, "13900000002")
    with transaction():
        enqueue("k", "t", users=[bare, mailer, texter, mailer])
        enqueue("k", "t", users=[mailer, texter], channels=("in_app",))
    got = sorted((m.user_id, m.channel, m.address) for m in outbox())
    assert got == sorted([(bare.id, "in_app", None), (mailer.id, "in_app", None),
                          (mailer.id, "email", "m@example.gov.cn"), (texter.id, "in_app", None),
                          (texter.id, "sms", "13900000002"), (mailer.id, "in_app", None),
                          (texter.id, "in_app", None)])
    with pytest.raises(ValueError):
        enqueue("k", "t", users=[bare], channels=("pigeon",))


def test_notify_units_reaches_the_role_holders_of_those_units(build, smtp):
    build(MAIL_PORT=smtp.port)
    office, other = f.unit("U1"), f.unit("U2")
    handler = person("handler", "h@example.gov.cn", None, (office, "handler"))
    both = person("both", None, None, (office, "handler"), (other, "handler"))
    person("reviewer", "r@example.gov.cn", None, (office, "unit_reviewer"))
    person("elsewhere", "e@example.gov.cn", None, (other, "handler"))
    gone = person("gone", "g@example.gov.cn", None, (office, "handler"))
    gone.active = False
    db.session.commit()

    with transaction():
        notify_units("assigned", "新案件待办理", [office.id], case_id=None)
    assert sorted((m.user_id, m.channel) for m in outbox()) == sorted(
        [(handler.id, "in_app"), (handler.id, "email"), (both.id, "in_app")])

    with transaction():
        added = notify_units("x", "y", [office.id, other.id], roles=("unit_reviewer", "handler"),
                             channels=("in_app",))
    assert len(added) == 4  # handler, both (once), reviewer, elsewhere
    assert notify_units("x", "y", []) == []


def test_enqueue_in_a_rolled_back_transaction_leaves_nothing(build, smtp):
    app = build(MAIL_PORT=smtp.port)
    user = person("li", "li@example.gov.cn", "13700000003")
    with pytest.raises(RuntimeError), transaction():
        user.display_name = "changed"
        enqueue("assigned", BODY, users=[user], subject=SUBJECT)
        db.session.flush()
        raise RuntimeError("the case change failed")
    assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) == 0
    assert db.session.get(User, user.id, populate_existing=True).display_name == "Li"
    assert dispatch_due(app) == 0
    assert smtp.envelopes == []
    assert db.session.scalar(select(func.count()).select_from(Notification)) == 0


def test_a_sender_that_is_down_is_retried_later(build):
    port = free_port()  # nothing listens here yet
    app = build(MAIL_PORT=port)
    user = person("zhao", "zhao@example.gov.cn")
    with transaction():
        enqueue("assigned", BODY, users=[user], subject=SUBJECT, channels=("email",))

    before = utcnow()
    assert dispatch_due(app) == 0
    [message] = outbox()
    assert message.status == "pending"
    assert message.attempts == 1
    assert "ConnectionRefused" in message.last_error
    assert message.next_attempt_at >= before + timedelta(seconds=29)
    assert dispatch_due(app) == 0  # not due yet: no second attempt
    assert outbox()[0].attempts == 1

    controller, recorder = start_smtp(port)  # the server comes up
    try:
        make_due()
        assert dispatch_due(app) == 1
        [message] = outbox()
        assert (message.status, message.attempts) == ("sent", 1)
        assert message.sent_at is not None
        [mail] = recorder.messages
        assert mail["Subject"] == SUBJECT
        assert mail.get_content().strip() == BODY
    finally:
        controller.stop()


def test_after_max_attempts_the_message_is_failed(build, smtp):
    app = build(MAIL_PORT=free_port(), NOTIFY_MAX_ATTEMPTS=3)
    user = person("sun", "sun@example.gov.cn", "13600000004")
    with transaction():
        enqueue("assigned", "t", users=[user], channels=("email", "in_app"))

    for attempt in (1, 2, 3):
        assert dispatch_due(app) == (1 if attempt == 1 else 0)  # the in-app one goes first time
        [message] = outbox(channel="email")
        assert message.attempts == attempt
        make_due()
    assert message.status == "failed"
    assert message.last_error
    assert dispatch_due(app) == 0
    assert outbox(channel="email")[0].attempts == 3
    assert outbox(channel="in_app")[0].status == "sent"


def test_backoff_doubles_and_is_capped():
    assert [retry_delay(n, 30, 3600).total_seconds() for n in (1, 2, 3, 7, 8, 20)] == [
        30, 60, 120, 1920, 3600, 3600]


def test_racing_dispatchers_send_each_message_once(build, smtp):
    app = build(MAIL_PORT=smtp.port, NOTIFY_BATCH_SIZE=3)
    users = [person(f"u{i}", f"u{i}@example.gov.cn") for i in range(12)]
    with transaction():
        for n in range(2):
            enqueue("assigned", f"消息 {n}", users=users, channels=("email", "in_app"))
    total = len(outbox())
    assert total == 48

    barrier, results, errors = threading.Barrier(3), [], []

    def run():
        with app.app_context():
            try:
                barrier.wait()
                results.append(dispatch_due(app))
            except Exception as exc:  # pragma: no cover - reported below
                errors.append(exc)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not errors
    assert sum(results) == total
    assert len(smtp.envelopes) == 24
    ids = [m["Message-ID"] for m in smtp.messages]
    assert len(set(ids)) == 24
    assert db.session.scalar(select(func.count()).select_from(Notification)) == 24
    assert {m.status for m in outbox()} == {"sent"}


class RecordingSms:
    """Stand-in for a commercial SMS gateway we cannot run in tests (SMS_SENDER plug-in)."""

    sent: ClassVar[list] = []
    down = False

    def __init__(self, config):
        self.signature = config["SMS_SIGNATURE"]

    def send(self, message):
        if RecordingSms.down:
            raise ConnectionError("gateway unreachable")
        RecordingSms.sent.append((message.address, f"【{self.signature}】{message.body}"))


def test_a_configured_sms_provider_replaces_the_log(build, smtp):
    RecordingSms.sent, RecordingSms.down = [], True
    app = build(MAIL_PORT=smtp.port, SMS_SENDER="tests.test_notifications:RecordingSms",
                SMS_SIGNATURE="回音")
    user = person("zhou", None, "13500000005")
    with transaction():
        enqueue("assigned", "请处理", users=[user], channels=("sms",))
    assert dispatch_due(app) == 0
    assert "gateway unreachable" in outbox()[0].last_error
    RecordingSms.down = False
    make_due()
    assert dispatch_due(app) == 1
    assert RecordingSms.sent == [("13500000005", "【回音】请处理")]
    assert db.session.scalar(select(func.count()).select_from(SmsLog)) == 0


def test_a_broken_sms_provider_setting_does_not_raise(build):
    app = build(SMS_SENDER="tests.no_such_module:Gateway")
    user = person("wu", None, "13400000006")
    with transaction():
        enqueue("assigned", "t", users=[user], channels=("sms",))
    assert dispatch_due(app) == 0
    assert outbox()[0].status == "pending"
