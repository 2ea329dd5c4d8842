"""Senders deliver one outbox message each; the dispatcher picks one per channel.

A sender implements `send(message: OutboxMessage) -> None` and raises on failure (the dispatcher
then retries with back-off). Senders that write rows (in-app, SMS log) add them to the current
session; the dispatcher commits them together with the message's `sent` status.

Plugging a real SMS provider: set SMS_SENDER = "package.module:ClassName". The class is imported
once per application and constructed once as `ClassName(config)` with the Flask config mapping
(read API keys etc. from it); its `send(message)` must deliver `message.body` to
`message.address` (a mobile number) and raise any exception when the provider refuses or is
unreachable. It must not commit the session. Without SMS_SENDER, LogSmsSender writes an SmsLog row.
"""
import importlib
import smtplib
from collections.abc import Mapping
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import Protocol, runtime_checkable

from flask import current_app

from app.extensions import db
from app.notifications.models import Notification, OutboxMessage, SmsLog

SMTP_TIMEOUT_SECONDS = 10
_EXTENSION_KEY = "huiyin_notification_senders"


@runtime_checkable
class Sender(Protocol):
    def send(self, message: OutboxMessage) -> None:
        """Deliver `message` or raise."""


class InAppSender:
    """The bell: a Notification row for the message's user."""

    def __init__(self, config: Mapping | None = None):
        pass

    def send(self, message: OutboxMessage) -> None:
        if message.user_id is None:
            raise ValueError("in-app message without a user")
        db.session.add(Notification(user_id=message.user_id, case_id=message.case_id, kind=message.kind,
                                    text=message.body))


class SmtpSender:
    """E-mail over SMTP (MAIL_SERVER, MAIL_PORT, MAIL_USE_TLS for STARTTLS, MAIL_USERNAME,
    MAIL_PASSWORD, MAIL_FROM); one connection per message, 10 s timeout."""

    def __init__(self, config: Mapping):
        self.server = config.get("MAIL_SERVER", "localhost")
        self.port = int(config.get("MAIL_PORT", 25))
        self.use_tls = bool(config.get("MAIL_USE_TLS", False))
        self.username = config.get("MAIL_USERNAME") or None
        self.password = config.get("MAIL_PASSWORD") or ""
        self.sender = config.get("MAIL_FROM", "huiyin@localhost")

    def build(self, message: OutboxMessage) -> EmailMessage:
        email = EmailMessage()
        email["From"] = self.sender
        email["To"] = message.address
        email["Subject"] = message.subject or (message.body.splitlines() or [""])[0][:80] or "回音"
        email["Date"] = formatdate(localtime=False)
        email["Message-ID"] = make_msgid(idstring=f"outbox{message.id}")
        email.set_content(message.body, charset="utf-8")
        return email

    def send(self, message: OutboxMessage) -> None:
        if not message.address:
            raise ValueError("e-mail message without an address")
        email = self.build(message)
        with smtplib.SMTP(self.server, self.port, timeout=SMTP_TIMEOUT_SECONDS) as smtp:
            if self.use_tls:
                smtp.starttls()
            if self.username:
                smtp.login(self.username, self.password)
            smtp.send_message(email)


class LogSmsSender:
    """The default SMS 'provider': an SmsLog row (no SMS leaves the platform)."""

    def __init__(self, config: Mapping | None = None):
        pass

    def send(self, message: OutboxMessage) -> None:
        if not message.address:
            raise ValueError("SMS message without a mobile number")
        db.session.add(SmsLog(phone=message.address, text=message.body))


def load_class(path: str) -> type:
    """'package.module:ClassName' -> the class."""
    module_name, sep, class_name = path.partition(":")
    if not sep or not module_name or not class_name:
        raise ValueError(f"SMS_SENDER must look like 'package.module:ClassName', not {path!r}")
    return getattr(importlib.import_module(module_name), class_name)


def _build(config: Mapping) -> dict[str, Sender]:
    sms_path = config.get("SMS_SENDER")
    sms = load_class(sms_path)(config) if sms_path else LogSmsSender(config)
    if not callable(getattr(sms, "send", None)):
        raise TypeError(f"SMS_SENDER {sms_path!r} has no send(message) method")
    from app.channels.webhooks import WebhookSender

    return {"in_app": InAppSender(config), "email": SmtpSender(config), "sms": sms,
            "webhook": WebhookSender(config)}


def senders(app=None) -> dict[str, Sender]:
    """The application's senders by channel, built (and SMS_SENDER imported) once per app."""
    app = app or current_app._get_current_object()
    built = app.extensions.get(_EXTENSION_KEY)
    if built is None:
        built = app.extensions[_EXTENSION_KEY] = _build(app.config)
    return built
