"""Channels (R4): the other systems that deliver requests — hotline system, WeChat service, SMS and
e-mail gateways, 12345 transfers, grid-worker apps, Open311 clients — each with its own API key."""
