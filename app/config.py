"""Configuration from the environment, with defaults that make `make run` work out of the box."""
import os
import secrets
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def _secret_key(instance_path: Path) -> str:
    """Use SECRET_KEY when set; otherwise generate one into instance/ once, so restarts keep sessions."""
    key = os.environ.get("SECRET_KEY")
    if key:
        return key
    key_file = instance_path / "secret_key"
    if not key_file.exists():
        instance_path.mkdir(parents=True, exist_ok=True)
        key_file.write_text(secrets.token_hex(32))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


def _pii_key(instance_path: Path) -> str:
    """PII_KEY (a Fernet key) when set; otherwise one generated into instance/ once. Production
    sets it explicitly and backs it up with the database: without it ID numbers are unreadable."""
    key = os.environ.get("PII_KEY")
    if key:
        return key
    key_file = instance_path / "pii_key"
    if not key_file.exists():
        from cryptography.fernet import Fernet

        instance_path.mkdir(parents=True, exist_ok=True)
        key_file.write_text(Fernet.generate_key().decode())
        key_file.chmod(0o600)
    return key_file.read_text().strip()


def _cookie_secure(public_base_url: str | None) -> bool:
    """SESSION_COOKIE_SECURE when set (1 or 0); otherwise on whenever the public site is https."""
    explicit = os.environ.get("SESSION_COOKIE_SECURE", "").strip()
    if explicit:
        return explicit == "1"
    return bool(public_base_url and public_base_url.lower().startswith("https://"))


#: Who may read cases on the public Open311 interface without a key (docs/operations.md).
OPEN311_PUBLIC_READ = ("consented", "off")


def _choice(name: str, allowed: tuple[str, ...]) -> str:
    """The setting `name`, one of `allowed` (the first is the default); anything else stops the start."""
    value = os.environ.get(name, allowed[0])
    if value not in allowed:
        raise ValueError(f"{name} must be one of {', '.join(allowed)}, not {value!r}")
    return value


def load_config(instance_path: Path) -> dict:
    public_base_url = os.environ.get("PUBLIC_BASE_URL") or None
    return {
        "SQLALCHEMY_DATABASE_URI": os.environ.get(
            "DATABASE_URL", f"sqlite:///{instance_path / 'huiyin.sqlite3'}"
        ),
        # PostgreSQL: pooled connections older than this many seconds are replaced (app/connections.py).
        "DATABASE_POOL_RECYCLE": int(os.environ.get("DATABASE_POOL_RECYCLE", "1800")),
        "SECRET_KEY": _secret_key(instance_path),
        "PII_KEY": _pii_key(instance_path),
        # Failed sign-ins ("count/period") per address, per account and address, and per account
        # from all addresses (app/accounts/throttle.py).
        "LOGIN_LIMIT_IP": os.environ.get("LOGIN_LIMIT_IP", "50/hour"),
        "LOGIN_LIMIT_ACCOUNT_IP": os.environ.get("LOGIN_LIMIT_ACCOUNT_IP", "5/15 minutes"),
        "LOGIN_LIMIT_ACCOUNT": os.environ.get("LOGIN_LIMIT_ACCOUNT", "20/hour"),
        # Behind HTTPS (production) the session cookie must never travel over plain HTTP.
        "SESSION_COOKIE_SECURE": _cookie_secure(public_base_url),
        # Lifetime of a web session from the sign-in, however busy (app/accounts/sessions.py).
        "WEB_SESSION_HOURS": int(os.environ.get("WEB_SESSION_HOURS", "12")),
        "TIMEZONE": os.environ.get("TIMEZONE", "Asia/Shanghai"),
        "WORKFLOWS_DIR": os.environ.get("WORKFLOWS_DIR", str(PROJECT_ROOT / "workflows")),
        "CASE_PROCESS_ID": os.environ.get("CASE_PROCESS_ID", "complaint"),
        "APPEAL_PROCESS_ID": os.environ.get("APPEAL_PROCESS_ID", "appeal"),
        # How often the scheduler looks for due timers, and how long a claim on one is held.
        "SCHEDULER_POLL_SECONDS": float(os.environ.get("SCHEDULER_POLL_SECONDS", "1.0")),
        "TIMER_CLAIM_SECONDS": int(os.environ.get("TIMER_CLAIM_SECONDS", "300")),
        "TIMER_BATCH_SIZE": int(os.environ.get("TIMER_BATCH_SIZE", "50")),
        # 周分析 (R31): each county's weekly list is due at this local weekday and time, and the
        # scheduler looks whether one is due this often (app/statistics/weekly.py).
        "WEEKLY_ANALYSIS_AT": os.environ.get("WEEKLY_ANALYSIS_AT", "mon 08:00"),
        "WEEKLY_ANALYSIS_POLL_SECONDS": float(os.environ.get("WEEKLY_ANALYSIS_POLL_SECONDS", "600")),
        "API_TOKEN_HOURS": int(os.environ.get("API_TOKEN_HOURS", "12")),
        # Scheme, host and any path prefix of the public site that QR posters lead to (R4); unset: the
        # address the administrator is using.
        "PUBLIC_BASE_URL": public_base_url,
        # Reverse proxies in front of the app (nginx: 1); their X-Forwarded-For/-Proto are trusted.
        "PROXY_COUNT": int(os.environ.get("PROXY_COUNT", "0")),
        # Public pages (R4): attempts per IP and per phone number, as "count/period".
        "PUBLIC_SUBMIT_LIMIT_IP": os.environ.get("PUBLIC_SUBMIT_LIMIT_IP", "20/hour"),
        "PUBLIC_SUBMIT_LIMIT_PHONE": os.environ.get("PUBLIC_SUBMIT_LIMIT_PHONE", "5/hour"),
        "PUBLIC_TRACK_LIMIT_IP": os.environ.get("PUBLIC_TRACK_LIMIT_IP", "60/hour"),
        "PUBLIC_TRACK_LIMIT_PHONE": os.environ.get("PUBLIC_TRACK_LIMIT_PHONE", "20/hour"),
        # The public ranking page (亮晒比, when published): views per IP.
        "PUBLIC_RANKING_LIMIT_IP": os.environ.get("PUBLIC_RANKING_LIMIT_IP", "120/hour"),
        # Open311 reads without a key: "consented" shows the cases their requester chose to publish,
        # "off" none (a channel's key still reads its own cases).
        "OPEN311_PUBLIC_READ": _choice("OPEN311_PUBLIC_READ", OPEN311_PUBLIC_READ),
        # Webhooks may go to loopback and private-network receivers only when this is on (SSRF).
        "WEBHOOK_ALLOW_PRIVATE": os.environ.get("WEBHOOK_ALLOW_PRIVATE", "0") == "1",
        "API_TITLE": "Huiyin API",
        "API_VERSION": "v1",
        "OPENAPI_VERSION": "3.0.3",
        "OPENAPI_URL_PREFIX": "/api",
        "OPENAPI_JSON_PATH": "v1/openapi.json",
        "OPENAPI_REDOC_PATH": "/docs",
        "OPENAPI_REDOC_URL": "/static/vendor/redoc/redoc.standalone.js",
        "API_SPEC_OPTIONS": {
            "components": {
                "securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer"}}
            },
            "security": [{"bearerAuth": []}],
        },
        "JSON_AS_ASCII": False,
        # Largest request body; bigger ones get 413 before anything reads them.
        "MAX_CONTENT_LENGTH": int(os.environ.get("MAX_UPLOAD_MB", "60")) * 1024 * 1024,
    }
