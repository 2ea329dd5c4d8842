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


def load_config(instance_path: Path) -> dict:
    return {
        "SQLALCHEMY_DATABASE_URI": os.environ.get(
            "DATABASE_URL", f"sqlite:///{instance_path / 'huiyin.sqlite3'}"
        ),
        "SECRET_KEY": _secret_key(instance_path),
        "PII_KEY": _pii_key(instance_path),
        # Wrong passwords in a row before an account is locked, and for how long.
        "LOGIN_MAX_FAILURES": int(os.environ.get("LOGIN_MAX_FAILURES", "5")),
        "LOGIN_LOCK_MINUTES": int(os.environ.get("LOGIN_LOCK_MINUTES", "15")),
        # Behind HTTPS (production) the session cookie must never travel over plain HTTP.
        "SESSION_COOKIE_SECURE": os.environ.get("SESSION_COOKIE_SECURE", "0") == "1",
        "TIMEZONE": os.environ.get("TIMEZONE", "Asia/Shanghai"),
        "WORKFLOWS_DIR": os.environ.get("WORKFLOWS_DIR", str(PROJECT_ROOT / "workflows")),
        "CASE_PROCESS_ID": os.environ.get("CASE_PROCESS_ID", "complaint"),
        # How often the scheduler looks for due timers, and how long a claim on one is held.
        "SCHEDULER_POLL_SECONDS": float(os.environ.get("SCHEDULER_POLL_SECONDS", "1.0")),
        "TIMER_CLAIM_SECONDS": int(os.environ.get("TIMER_CLAIM_SECONDS", "300")),
        "TIMER_BATCH_SIZE": int(os.environ.get("TIMER_BATCH_SIZE", "50")),
        "API_TOKEN_HOURS": int(os.environ.get("API_TOKEN_HOURS", "12")),
        # Scheme, host and any path prefix of the public site that QR posters lead to (R4); unset: the
        # address the administrator is using.
        "PUBLIC_BASE_URL": os.environ.get("PUBLIC_BASE_URL") or None,
        # Reverse proxies in front of the app (nginx: 1); their X-Forwarded-For/-Proto are trusted.
        "PROXY_COUNT": int(os.environ.get("PROXY_COUNT", "0")),
        # Public pages (R4): attempts per IP and per phone number, as "count/period".
        "PUBLIC_SUBMIT_LIMIT_IP": os.environ.get("PUBLIC_SUBMIT_LIMIT_IP", "20/hour"),
        "PUBLIC_SUBMIT_LIMIT_PHONE": os.environ.get("PUBLIC_SUBMIT_LIMIT_PHONE", "5/hour"),
        "PUBLIC_TRACK_LIMIT_IP": os.environ.get("PUBLIC_TRACK_LIMIT_IP", "60/hour"),
        "PUBLIC_TRACK_LIMIT_PHONE": os.environ.get("PUBLIC_TRACK_LIMIT_PHONE", "20/hour"),
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
