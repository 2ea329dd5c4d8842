"""Citizens (诉求人) without an account: submit a request, track it, rate the answer (R4–R9, R25)."""
