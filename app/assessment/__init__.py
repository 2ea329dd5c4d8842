"""Unit assessment (亮晒比): assessment schemes as data, rankings frozen at the end of each
assessment period, appeals (申诉) of ratings run as their own process (workflows/appeal.bpmn), and
the lists of unit assessments (履职评估) and accountability referrals (移交问责). docs/statistics.md,
"Assessment"."""
