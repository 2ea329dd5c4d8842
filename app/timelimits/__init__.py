"""Time limits (办理时限): the working-day calendar, the limit table, deadlines and warning lights."""
