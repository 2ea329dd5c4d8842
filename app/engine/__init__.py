"""The workflow engine: SpiffWorkflow instances persisted in SQL.

Split like a mature BPMN engine's services: `repository` (deployed definitions),
`runtime` (instances: load, run, save), `tasks` (the human-task mirror), `timers`
(the timer mirror and firing), `history` (the append-only case timeline) and
`incidents` (errors a process raised at run time).
"""
