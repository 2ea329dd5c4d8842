"""Server-rendered staff pages (Jinja + htmx): login, home, cases, administration."""


def init_app(app) -> None:
    """Register the web blueprints and CSRF protection (filled in by the web UI work)."""
