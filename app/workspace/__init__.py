"""The handler workspace's queries: the inbox with its filters and queues, the supervision list,
the unsatisfied zone. Web pages and API endpoints both call these; they never loop over rows."""
