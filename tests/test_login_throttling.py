"""Failed sign-ins are throttled per client address, per (account, address) and per account
(app/accounts/throttle.py), so guessing is slow, yet a stranger cannot lock a named account: the
real user still signs in from an address that has not failed. Only failures count."""
from app.accounts.security import authenticate
from app.extensions import db
from tests import factories as f
from tests.web_helpers import login as web_login
from tests.web_helpers import without_tokens


def login(client, password, address="10.0.0.1", username="handler"):
    return client.post("/api/v1/auth/token", json={"username": username, "password": password},
                       environ_base={"REMOTE_ADDR": address})


def test_five_wrong_passwords_from_one_address_do_not_stop_the_real_user_from_another(client, app):
    # given a user
    f.user("handler", (f.unit("V1"), "handler"))
    # when a stranger tries five wrong passwords from one address
    for _ in range(5):
        assert login(client, "wrong password").status_code == 401
    # then that address is throttled, even with the right password (429 with Retry-After) ...
    throttled = login(client, f.PASSWORD)
    assert throttled.status_code == 429 and throttled.json["code"] == "too_many_requests"
    assert 0 < int(throttled.headers["Retry-After"]) <= 15 * 60
    # ... while the real user signs in from their own address
    assert login(client, f.PASSWORD, address="10.0.0.2").status_code == 201


def test_a_throttled_web_sign_in_reads_like_a_wrong_password(client, app):
    f.user("handler", (f.unit("V1"), "handler"))
    stranger = app.test_client()
    stranger.environ_base["REMOTE_ADDR"] = "10.0.0.1"
    for _ in range(5):
        wrong = web_login(stranger, "handler", "wrong password")
    throttled = web_login(stranger, "handler")  # the right password
    assert throttled.status_code == wrong.status_code == 200
    assert without_tokens(throttled.get_data(as_text=True)) == without_tokens(wrong.get_data(as_text=True))
    assert "用户名或密码错误" in throttled.get_data(as_text=True)
    client.environ_base["REMOTE_ADDR"] = "10.0.0.2"
    assert web_login(client, "handler").status_code == 302


def test_failures_on_one_account_from_many_addresses_block_only_those_addresses(client, app):
    # given a user and a per-account limit of three failures
    f.user("handler", (f.unit("V1"), "handler"))
    app.config["LOGIN_LIMIT_ACCOUNT"] = "3/hour"
    # when three addresses fail once each
    for address in ("10.0.1.1", "10.0.1.2", "10.0.1.3"):
        assert login(client, "wrong password", address).status_code == 401
    # then those addresses are throttled on that account, and a fourth after its first failure
    assert login(client, f.PASSWORD, "10.0.1.1").status_code == 429
    assert login(client, "wrong password", "10.0.1.4").status_code == 401
    assert login(client, f.PASSWORD, "10.0.1.4").status_code == 429
    # but an address that has not failed on it signs in
    assert login(client, f.PASSWORD, "10.0.9.9").status_code == 201


def test_one_address_failing_on_many_accounts_is_throttled_on_all(client, app):
    f.user("handler", (f.unit("V1"), "handler"))
    app.config["LOGIN_LIMIT_IP"] = "3/hour"
    for username in ("alice", "bob", "carol"):
        assert login(client, "guess", username=username).status_code == 401
    assert login(client, f.PASSWORD).status_code == 429
    assert login(client, f.PASSWORD, address="10.0.0.2").status_code == 201


def test_only_failures_count_and_a_success_clears_its_address_count_on_the_account(client, app):
    f.user("handler", (f.unit("V1"), "handler"))
    app.config["LOGIN_LIMIT_IP"] = "10/hour"
    for _ in range(12):  # more successes than any limit
        assert login(client, f.PASSWORD).status_code == 201
    for _ in range(2):
        for _ in range(4):
            assert login(client, "wrong password").status_code == 401
        assert login(client, f.PASSWORD).status_code == 201  # four failures, then a success: no throttle


def test_an_unknown_user_is_refused_without_error(app):
    assert authenticate("nobody", "whatever") is None


def test_a_cheaply_hashed_password_is_rehashed_at_full_cost_on_first_login(app, full_cost_password_hashing):
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
