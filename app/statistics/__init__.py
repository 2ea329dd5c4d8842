"""Statistics for leaders, supervisors and units (R31, R33–R35): the facts each case change
records (`facts`), the figures defined on them (`figures`), and what the pages and the API ask
of them (`service`). Definitions of every figure: docs/statistics.md."""
