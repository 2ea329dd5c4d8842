"""Supervision (督办, R29–R32): reminder notes, supervision orders and leaders' instructions on a
case, the supervision list of overdue items, and the unsatisfied zone."""
