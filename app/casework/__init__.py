"""Casework: what the complaint process does to a case beyond moving tasks — routing proposals,
assignment and escalation, replies and their review, ratings, assessments and accountability.

The process (workflows/complaint.bpmn) decides *when*; these modules decide *how*, and the
registered functions in `process_functions` are the only door between the two.
"""
