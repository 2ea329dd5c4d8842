"""Cases: the citizen requests the platform handles."""
