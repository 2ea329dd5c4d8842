"""Webhook URLs cannot reach internal services (SSRF): loopback, link-local, private, unspecified,
multicast and reserved addresses are refused when a key is issued and again when a webhook is
sent — by literal address and by what the host name resolves to, checked on every address and
connected to as checked; redirects are never followed; WEBHOOK_ALLOW_PRIVATE lets an operator
use loopback and private receivers."""
import datetime
import hashlib
import socket
import ssl

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from sqlalchemy import func, select

from app.cases.models import Case
from app.channels import destinations, keys
from app.channels.models import ChannelKey
from app.channels.webhooks import enqueue_for_case
from app.engine.errors import InvalidData
from app.engine.transaction import transaction
from app.extensions import db
from app.notifications.dispatcher import dispatch_due
from app.notifications.models import OutboxMessage

#: (URL, kind of address) refused whatever the setting.
ALWAYS_REFUSED = [
    ("http://169.254.169.254/latest/meta-data/", "link-local"),
    ("http://[fe80::1]/hook", "link-local"),
    ("http://0.0.0.0:8080/hook", "unspecified"),
    ("http://[::]/hook", "unspecified"),
    ("http://224.0.0.1/hook", "multicast"),
    ("http://[ff02::1]/hook", "multicast"),
    ("http://240.0.0.1/hook", "reserved"),
    ("http://255.255.255.255/hook", "reserved"),
    ("http://192.0.2.10/hook", "reserved"),  # TEST-NET-1, documentation only
    ("http://[::ffff:169.254.169.254]/hook", "link-local"),  # IPv4-mapped IPv6
]
#: (URL, kind of address) refused unless WEBHOOK_ALLOW_PRIVATE is on.
PRIVATE = [
    ("http://127.0.0.1:8080/hook", "loopback"),
    ("http://127.1.2.3/hook", "loopback"),
    ("http://[::1]/hook", "loopback"),
    ("http://2130706433/hook", "loopback"),  # 127.0.0.1 as one decimal number
    ("http://localhost/hook", "loopback"),  # a name, resolved through /etc/hosts
    ("http://10.1.2.3/hook", "private"),
    ("http://172.16.0.1/hook", "private"),
    ("http://192.168.1.1/hook", "private"),
    ("http://100.64.0.1/hook", "private"),  # carrier-grade NAT
    ("http://[fd00::1]/hook", "private"),  # unique local
    ("http://[::ffff:10.0.0.1]/hook", "private"),  # IPv4-mapped IPv6
    ("http://[64:ff9b::a00:1]/hook", "private"),  # NAT64 of 10.0.0.1
    ("http://[2002:c0a8:101::1]/hook", "private"),  # 6to4 of 192.168.1.1
]
PUBLIC_ADDRESS = "93.184.216.34"


@pytest.fixture
def dns(monkeypatch):
    """Names the tests make up, resolved as the test says; every other name as usual. Each
    answer may be a list (always the same) or a list of lists (one per lookup, then the last)."""
    answers, lookups, real = {}, [], socket.getaddrinfo

    def getaddrinfo(host, port, *args, **kwargs):
        if host not in answers:
            return real(host, port, *args, **kwargs)
        lookups.append(host)
        plan = answers[host]
        addresses = plan[min(lookups.count(host), len(plan)) - 1] if isinstance(plan[0], list) else plan
        if not addresses:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return [(socket.AF_INET6 if ":" in a else socket.AF_INET, socket.SOCK_STREAM, 6, "",
                 (a, port or 0)) for a in addresses]

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return {"answers": answers, "lookups": lookups}


def issue(url: str) -> ChannelKey:
    with transaction():
        row, _ = keys.issue("wechat", "WeChat", webhook_url=url)
    return row


def refusal(url: str) -> str:
    with pytest.raises(InvalidData) as refused:
        issue(url)
    assert list(refused.value.errors) == ["webhook_url"]
    assert db.session.scalar(select(func.count()).select_from(ChannelKey)) == 0
    return refused.value.errors["webhook_url"][0]


def hook_row(url: str) -> ChannelKey:
    """A key whose URL is stored as it is (e.g. from before these checks, or from before the
    operator turned WEBHOOK_ALLOW_PRIVATE off)."""
    row = ChannelKey(channel="wechat", name="WeChat", key_hash=hashlib.sha256(url.encode()).hexdigest(),
                     webhook_url=url, webhook_secret="s" * 64)
    db.session.add(row)
    db.session.commit()
    return row


def deliver(app, row: ChannelKey) -> OutboxMessage:
    """Queue one webhook message for the key's channel and run the dispatcher once."""
    case = Case(number="HY20261122-000001", title="Street lamp broken", channel=row.channel)
    db.session.add(case)
    db.session.commit()
    with transaction():
        assert enqueue_for_case(case.id, "assigned") == 1
    dispatch_due(app)
    db.session.expire_all()
    return db.session.scalars(select(OutboxMessage).where(OutboxMessage.channel == "webhook")).one()


# --- when a key is issued ------------------------------------------------------------------------

@pytest.mark.parametrize("url, kind", ALWAYS_REFUSED + PRIVATE)
def test_an_internal_webhook_address_is_refused_when_the_key_is_issued(app, url, kind):
    assert f"a {kind} address" in refusal(url)


@pytest.mark.parametrize("answer, kind", [(["10.9.8.7"], "private"), (["127.0.0.1"], "loopback"),
                                          (["169.254.169.254"], "link-local"), (["fd12::5"], "private"),
                                          ([PUBLIC_ADDRESS, "10.0.0.1"], "private")])
def test_a_host_name_that_resolves_to_an_internal_address_is_refused(app, dns, answer, kind):
    # given a name with an internal address (one bad address of several is enough)
    dns["answers"]["hooks.partner.example"] = answer
    # when it is used for a webhook, then the key is refused and the message names the address
    message = refusal("https://hooks.partner.example/huiyin")
    assert f"a {kind} address" in message and "hooks.partner.example" in message


@pytest.mark.parametrize("url", ["ftp://hooks.example/x", "https://", "https://user:pw@hooks.example/x",
                                 "https://hooks.example:99999/x", "javascript:alert(1)",
                                 "https://hooks.example/" + "x" * 500, "https://hooks. example/x"])
def test_a_malformed_webhook_url_is_refused(app, url):
    refusal(url)


def test_a_host_name_that_does_not_resolve_is_refused(app, dns):
    dns["answers"]["nowhere.example"] = [[]]
    assert "cannot be resolved" in refusal("https://nowhere.example/hook")


def test_a_public_webhook_address_is_accepted(app, dns):
    dns["answers"]["hooks.partner.example"] = [PUBLIC_ADDRESS]
    assert issue("https://hooks.partner.example/huiyin").webhook_url == "https://hooks.partner.example/huiyin"


@pytest.mark.parametrize("url, kind", PRIVATE)
def test_the_operator_may_allow_loopback_and_private_receivers(app, url, kind):
    app.config["WEBHOOK_ALLOW_PRIVATE"] = True
    assert issue(url).webhook_url == url


@pytest.mark.parametrize("url, kind", ALWAYS_REFUSED)
def test_link_local_and_reserved_addresses_stay_refused_when_private_ones_are_allowed(app, url, kind):
    app.config["WEBHOOK_ALLOW_PRIVATE"] = True
    assert f"a {kind} address" in refusal(url)


# --- when a webhook is sent ----------------------------------------------------------------------

@pytest.mark.parametrize("url, kind", [(url, kind) for url, kind in ALWAYS_REFUSED + PRIVATE
                                       if "localhost" not in url])
def test_a_stored_internal_address_is_refused_when_the_webhook_is_sent(app, url, kind):
    # given a key whose URL was stored before the checks (or before the setting was turned off)
    message = deliver(app, hook_row(url))
    # then the delivery fails before connecting, names the address, and is retried later
    assert message.status == "pending" and message.attempts == 1
    assert "RefusedDestination" in message.last_error and f"a {kind} address" in message.last_error


def test_a_loopback_receiver_gets_nothing_once_private_receivers_are_no_longer_allowed(app, receiver):
    app.config["WEBHOOK_ALLOW_PRIVATE"] = True
    row = issue(receiver["url"])
    app.config["WEBHOOK_ALLOW_PRIVATE"] = False
    message = deliver(app, row)
    assert receiver["received"] == [] and "a loopback address" in message.last_error


def test_a_name_that_resolves_elsewhere_after_the_check_is_refused_at_send_time(app, dns, receiver):
    # given a name that was public when the key was issued, then rebinds to loopback
    dns["answers"]["hooks.partner.example"] = [[PUBLIC_ADDRESS], ["127.0.0.1"]]
    row = issue(f"http://hooks.partner.example:{receiver['port']}/hook")
    # when the webhook is sent, then nothing reaches the loopback receiver
    message = deliver(app, row)
    assert receiver["received"] == []
    assert message.status == "pending" and "resolves to 127.0.0.1, a loopback address" in message.last_error


def test_the_sender_connects_to_the_address_it_checked(app, dns, receiver):
    # given private receivers allowed, and a name whose second answer would go elsewhere
    app.config["WEBHOOK_ALLOW_PRIVATE"] = True
    dns["answers"]["hooks.test"] = [["127.0.0.1"], ["192.0.2.99"]]
    row = hook_row(f"http://hooks.test:{receiver['port']}/hook?from=huiyin")
    # when the webhook is sent, then the name was resolved once and the checked address answered
    message = deliver(app, row)
    assert message.status == "sent", message.last_error
    assert dns["lookups"] == ["hooks.test"]
    [(path, headers, _)] = receiver["received"]
    assert path == "/hook?from=huiyin" and headers["Host"] == f"hooks.test:{receiver['port']}"


def test_a_redirect_is_not_followed_and_counts_as_a_failed_delivery(app, receiver):
    # given a receiver that redirects to another path of a loopback server
    app.config["WEBHOOK_ALLOW_PRIVATE"] = True
    receiver["state"]["answer"] = (302, {"Location": f"http://127.0.0.1:{receiver['port']}/elsewhere"})
    # when the webhook is sent, then it is posted once, the redirect is not followed, and it is retried
    message = deliver(app, issue(receiver["url"]))
    assert [path for path, _, _ in receiver["received"]] == ["/hook"]
    assert message.status == "pending" and message.attempts == 1
    assert "302" in message.last_error and "redirects are not followed" in message.last_error


# --- HTTPS: the certificate is checked against the host name, not the pinned address -----------

def _signed(subject: str, issuer: str, public_key, signing_key, ca: bool):
    now, day = datetime.datetime.now(datetime.UTC), datetime.timedelta(days=1)
    builder = (x509.CertificateBuilder()
               .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)]))
               .issuer_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, issuer)]))
               .public_key(public_key).serial_number(x509.random_serial_number())
               .not_valid_before(now - day).not_valid_after(now + day))
    if ca:
        builder = builder.add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
    else:
        builder = builder.add_extension(x509.SubjectAlternativeName([x509.DNSName(subject)]), critical=False)
    return builder.sign(signing_key, hashes.SHA256()).public_bytes(serialization.Encoding.PEM)


def _certificate(tmp_path, name: str):
    """A CA and a server certificate for `name` signed by it: (CA file, certificate file, key file)."""
    ca_key, server_key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    paths = tmp_path / "ca.pem", tmp_path / "server.pem", tmp_path / "server.key"
    paths[0].write_bytes(_signed("Huiyin test CA", "Huiyin test CA", ca_key.public_key(), ca_key, ca=True))
    paths[1].write_bytes(_signed(name, "Huiyin test CA", server_key.public_key(), ca_key, ca=False))
    paths[2].write_bytes(server_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    return paths


@pytest.mark.parametrize("name, delivered", [("hooks.test", True), ("other.test", False)])
def test_https_is_verified_for_the_host_name_while_connecting_to_the_checked_address(
        app, dns, receiver, tmp_path, monkeypatch, name, delivered):
    # given an HTTPS receiver on loopback with a certificate for hooks.test from a trusted CA
    ca_file, cert_file, key_file = _certificate(tmp_path, "hooks.test")
    tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    tls.load_cert_chain(cert_file, key_file)
    receiver["server"].socket = tls.wrap_socket(receiver["server"].socket, server_side=True)
    trusting = ssl.create_default_context(cafile=str(ca_file))
    monkeypatch.setattr(destinations.ssl, "create_default_context", lambda: trusting)
    app.config["WEBHOOK_ALLOW_PRIVATE"] = True
    dns["answers"][name] = ["127.0.0.1"]
    # when a webhook goes to https://<name>/, then only the name on the certificate is delivered to
    message = deliver(app, hook_row(f"https://{name}:{receiver['port']}/hook"))
    assert (message.status == "sent") is delivered, message.last_error
    assert len(receiver["received"]) == (1 if delivered else 0)
    if not delivered:
        assert "CERTIFICATE_VERIFY_FAILED" in message.last_error
