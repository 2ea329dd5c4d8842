"""Rate limits for the public pages (per IP and per phone) and for failed staff sign-ins
(app/accounts/throttle.py), with the `limits` library's fixed window strategy and its counters
kept in the database: every web worker sees the same counts, and a restart does not reset them.
(limits ships Redis and Memcached storages; Huiyin runs on one PostgreSQL, so this storage
adapter keeps it that way.)"""
import hashlib
import hmac
import time
from typing import ClassVar, NamedTuple

from flask import current_app
from limits import parse
from limits.storage import Storage
from limits.strategies import FixedWindowRateLimiter
from sqlalchemy import String, case, delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db


class RateCounter(db.Model):
    __tablename__ = "rate_counter"
    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    count: Mapped[int]
    expires_at: Mapped[float]


_counters = RateCounter.__table__


class SqlStorage(Storage):
    """limits' storage on the rate_counter table; each call is its own short transaction, so a
    refused or failed request still counts."""

    STORAGE_SCHEME: ClassVar[list[str]] = ["huiyin-sql"]

    @property
    def base_exceptions(self):
        return SQLAlchemyError

    def incr(self, key: str, expiry: int, amount: int = 1) -> int:
        now = time.time()
        dialect = db.engine.dialect.name
        insert = (postgresql if dialect == "postgresql" else sqlite).insert(_counters)
        expired = _counters.c.expires_at <= now
        statement = insert.values(key=key, count=amount, expires_at=now + expiry).on_conflict_do_update(
            index_elements=[_counters.c.key],
            set_={"count": case((expired, amount), else_=_counters.c.count + amount),
                  "expires_at": case((expired, now + expiry), else_=_counters.c.expires_at)},
        ).returning(_counters.c.count)
        with db.engine.begin() as connection:
            return connection.execute(statement).scalar_one()

    def _row(self, key: str):
        with db.engine.connect() as connection:
            return connection.execute(select(_counters).where(_counters.c.key == key,
                                                              _counters.c.expires_at > time.time())).first()

    def get(self, key: str) -> int:
        row = self._row(key)
        return row.count if row else 0

    def get_expiry(self, key: str) -> float:
        row = self._row(key)
        return row.expires_at if row else time.time()

    def check(self) -> bool:
        return True

    def reset(self) -> int | None:
        with db.engine.begin() as connection:
            return connection.execute(delete(_counters)).rowcount

    def clear(self, key: str) -> None:
        with db.engine.begin() as connection:
            connection.execute(delete(_counters).where(_counters.c.key == key))


_storage = SqlStorage()
_limiter = FixedWindowRateLimiter(_storage)


class Window(NamedTuple):
    count: int  # attempts counted in the current window
    amount: int  # attempts the rule allows per window
    seconds_left: float  # until the window ends (0 when nothing is counted)

    @property
    def used_up(self) -> bool:
        return self.count >= self.amount


def _key(identifiers: tuple[str, ...]) -> str:
    """The identifiers (an address, a phone number, an account) as one keyed digest: the counters
    hold no personal data, and every key has the same short length whatever a client sends."""
    joined = "\x1f".join(identifiers).encode("utf-8", "replace")
    return hmac.new(current_app.config["SECRET_KEY"].encode(), joined, hashlib.sha256).hexdigest()[:32]


def allow(rule: str, scope: str, *identifiers: str) -> bool:
    """Count one attempt of `scope` by `identifiers` under `rule` ("10/hour"); False once over."""
    return _limiter.hit(parse(rule), scope, _key(identifiers))


def window(rule: str, scope: str, *identifiers: str) -> Window:
    """Where `identifiers` stand under `rule`, counting nothing (one read)."""
    item = parse(rule)
    row = _storage._row(item.key_for(scope, _key(identifiers)))
    if row is None:
        return Window(0, item.amount, 0.0)
    return Window(row.count, item.amount, max(row.expires_at - time.time(), 0.0))


def forget(rule: str, scope: str, *identifiers: str) -> None:
    """Drop the count of `identifiers` under `rule` (e.g. after a successful sign-in)."""
    _limiter.clear(parse(rule), scope, _key(identifiers))


def purge_expired() -> int:
    """Drop windows that have ended (a scheduler job)."""
    with db.engine.begin() as connection:
        return connection.execute(delete(_counters).where(_counters.c.expires_at <= time.time())).rowcount
