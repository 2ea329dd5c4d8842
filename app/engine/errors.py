"""Errors the engine services raise; the API layer maps each to one HTTP status."""


class EngineError(Exception):
    status = 400
    code = "engine_error"

    def __init__(self, message: str, **details):
        super().__init__(message)
        self.message = message
        self.details = details


class DeploymentError(EngineError):
    """The BPMN file or its forms are invalid; nothing was deployed.

    `problems` is every problem found ({element_id, message}); `element_id` names the first.
    """

    status = 422
    code = "invalid_bpmn"

    def __init__(self, message: str, element_id: str | None = None, problems: list[dict] | None = None):
        super().__init__(message, element_id=element_id)
        self.element_id = element_id
        self.problems = problems or [{"element_id": element_id, "message": message}]
        self.errors = self.problems


class NotFound(EngineError):
    status = 404
    code = "not_found"


class Forbidden(EngineError):
    status = 403
    code = "forbidden"


class Conflict(EngineError):
    """Someone else changed the instance first, or the task is no longer open."""

    status = 409
    code = "conflict"


class InvalidData(EngineError):
    status = 422
    code = "invalid_data"

    def __init__(self, message: str, errors: dict[str, list[str]]):
        super().__init__(message)
        self.errors = errors


class ProcessIncident(EngineError):
    """The process itself failed (a script or expression error); recorded as an incident."""

    status = 422
    code = "process_incident"
