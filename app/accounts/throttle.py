"""Throttling of failed staff sign-ins (web login, API token, the current password on /account).

Only failures count, in three `rate_counter` windows (app/ratelimit.py), so every web worker sees
the same counts:

* per client address, whatever the account (LOGIN_LIMIT_IP): one address guessing across many
  accounts;
* per account and address (LOGIN_LIMIT_ACCOUNT_IP): one address guessing one account; a success
  from that address clears it;
* per account from all addresses (LOGIN_LIMIT_ACCOUNT): many addresses guessing one account. Used
  up, it refuses only the addresses that have themselves failed on that account (in their current
  per-account-and-address window), never a fresh one.

So a stranger can slow down their own address but cannot lock a named account: the real user
still signs in from an address that has not failed. A refused attempt is not checked against the
password and counts nothing. Accounts are counted by a digest of the lower-cased username
(usernames are unique regardless of case), the same for unknown names, so the counters neither
reveal which accounts exist nor store what strangers type.
"""
import hashlib
import math

from flask import current_app

from app import ratelimit
from app.accounts import security
from app.accounts.models import User
from app.engine.errors import EngineError

BY_ADDRESS, BY_ACCOUNT_AND_ADDRESS, BY_ACCOUNT = "login-ip", "login-account-ip", "login-account"
ADDRESS_MAX = 64


class Throttled(EngineError):
    """429: this address must wait `retry_after` seconds before it may try this account again."""

    status = 429
    code = "too_many_requests"

    def __init__(self, retry_after: int):
        super().__init__("too many failed sign-ins from this address; try again later",
                         retry_after=retry_after)
        self.retry_after = retry_after


def _account(username: str) -> str:
    return hashlib.sha256(username.lower().encode()).hexdigest()[:32]


def _rules() -> tuple[str, str, str]:
    config = current_app.config
    return config["LOGIN_LIMIT_IP"], config["LOGIN_LIMIT_ACCOUNT_IP"], config["LOGIN_LIMIT_ACCOUNT"]


def wait_seconds(username: str, address: str) -> int:
    """0 when `address` may try to sign in as `username` now, else the seconds until it may."""
    by_address, by_pair, by_account = _rules()
    account = _account(username)
    waits = []
    mine = ratelimit.window(by_address, BY_ADDRESS, address)
    if mine.used_up:
        waits.append(mine.seconds_left)
    pair = ratelimit.window(by_pair, BY_ACCOUNT_AND_ADDRESS, account, address)
    if pair.used_up:
        waits.append(pair.seconds_left)
    elif pair.count:
        everyone = ratelimit.window(by_account, BY_ACCOUNT, account)
        if everyone.used_up:  # until this address's own failures are forgotten, or the window ends
            waits.append(min(everyone.seconds_left, pair.seconds_left))
    return math.ceil(max(waits, default=0))


def authenticate(username: str, password: str, address: str | None) -> User | None:
    """security.authenticate, throttled: raises Throttled while `address` may not try
    `username`; otherwise a failure is counted and a success clears the address's count."""
    address = (address or "unknown")[:ADDRESS_MAX]
    wait = wait_seconds(username, address)
    if wait:
        raise Throttled(wait)
    user = security.authenticate(username, password)
    by_address, by_pair, by_account = _rules()
    account = _account(username)
    if user is None:
        ratelimit.allow(by_address, BY_ADDRESS, address)
        ratelimit.allow(by_pair, BY_ACCOUNT_AND_ADDRESS, account, address)
        ratelimit.allow(by_account, BY_ACCOUNT, account)
    else:
        ratelimit.forget(by_pair, BY_ACCOUNT_AND_ADDRESS, account, address)
    return user
