"""Open311 GeoReport v2 (JSON) at /open311/v2: request categories as services, cases as service
requests. Posting needs a channel API key; reading shows no personal data."""
