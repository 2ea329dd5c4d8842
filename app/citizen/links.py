"""The signed tracking link of a case: handed out on the result page and in every SMS to the
requester, it opens /track without the phone number (app/web/public.py)."""
from flask import current_app, has_request_context, url_for
from itsdangerous import BadSignature, URLSafeSerializer

ENDPOINT = "web_public.track_link"


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="huiyin-track")


def tracking_token(number: str) -> str:
    return _serializer().dumps(number)


def number_from_token(token: str) -> str | None:
    try:
        number = _serializer().loads(token)
    except BadSignature:
        return None
    return number if isinstance(number, str) else None


def tracking_url(number: str) -> str | None:
    """The absolute tracking link of case `number`: on PUBLIC_BASE_URL when set, else on the host of
    the request in progress; None without either (a path alone is no use in an SMS)."""
    base = (current_app.config.get("PUBLIC_BASE_URL") or "").rstrip("/")
    values = {"token": tracking_token(number)}
    if base:
        return base + current_app.url_map.bind("localhost").build(ENDPOINT, values)
    if has_request_context():
        return url_for(ENDPOINT, _external=True, **values)
    return None
