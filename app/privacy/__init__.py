"""Personal data (PIPL): masking, encryption at rest, and the audit of every reveal."""
