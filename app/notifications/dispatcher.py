"""Send what the outbox holds (filled in by the notifications work)."""


def dispatch_due(app) -> int:
    """Send due outbox messages; returns how many were sent."""
    return 0
