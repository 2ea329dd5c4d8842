"""The audit of administrators' changes: who changed which setting or record, when, from what to what."""
