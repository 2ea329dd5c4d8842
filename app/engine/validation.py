"""Checks a bundle (a BPMN file and its forms) must pass before it is deployed.

Every rule reports all the problems it finds, each naming the element and what to change, so a
designer fixes a file in one round. (The validation part of issue 13 extends the rule set.)
"""
from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    element_id: str | None
    message: str


def check_bundle(root, parsed: dict, forms: dict) -> list[Problem]:
    """Every problem of the bundle: `root` is the BPMN's lxml root, `parsed` the processes
    `repository.parse` found in it, `forms` {form_id: FormDefinition} the bundle's forms.

    A user task's form must be in the bundle, or nobody could ever complete the task.
    """
    user_tasks = next(iter(parsed.values())).user_tasks if parsed else {}
    return [Problem(element, f"user task '{element}' names the form '{task.form_key}', which is "
                             f"neither uploaded with the file nor in the process's current version: "
                             f"upload {task.form_key}.form with it")
            for element, task in user_tasks.items() if task.form_key and task.form_key not in forms]
