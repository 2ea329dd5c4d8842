"""ID numbers at rest: encrypted with Fernet (AES-128-CBC + HMAC) and findable by a keyed hash.

The key comes from PII_KEY (a Fernet key). Losing it makes stored ID numbers unreadable, so
operators keep it with the database backups (docs/operations.md).
"""
import hashlib
import hmac

from cryptography.fernet import Fernet, InvalidToken
from flask import current_app


def _fernet() -> Fernet:
    return Fernet(current_app.config["PII_KEY"].encode())


def _hash_key() -> bytes:
    # A separate key for hashing, derived from PII_KEY, so the hash never equals a cipher input.
    return hashlib.sha256(b"huiyin:id-number-hash:" + current_app.config["PII_KEY"].encode()).digest()


def encrypt(value: str) -> str:
    return _fernet().encrypt(value.encode()).decode()


def decrypt(token: str) -> str | None:
    try:
        return _fernet().decrypt(token.encode()).decode()
    except InvalidToken:
        return None


def search_hash(value: str) -> str:
    """Keyed hash of a normalised ID number: equal numbers, equal hashes; not reversible."""
    return hmac.new(_hash_key(), value.strip().upper().encode(), hashlib.sha256).hexdigest()
