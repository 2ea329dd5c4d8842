"""Which tasks of an instance's task tree are worth saving: the finished history is left out.

SpiffWorkflow (since 1.2, when its loop-reset task went) keeps every task it ever ran. Each pass
round a loop of the process (a reply sent back, a return, an escalation, a second handling) adds
its tasks, and the timers its steps cancelled, below the last ones, so the stored state and with
it the cost of every later step (parse, load, run, write) grew with the case's history. What a
user sees of that history is in the case timeline and the task and timer tables, not in the tree.

The cut keeps the tree's root (the start task, where SpiffWorkflow hangs event subprocesses and
conditional starts) and below it, as its only child, the smallest subtree that holds every
unfinished task, widened so that what the engine looks up around a waiting task stays in it:
- one task up: a loop merges its instances through their parent, a gateway's or event's outgoing
  tasks find each other through it;
- up to a boundary-event split: the boundary events' join finds the split among its ancestors,
  and a task's due time is read from the split's timers, fired ones included (mirrors.Snapshot).
Everything left out is finished: the chain of tasks that led there and the finished side branches
along it. A finished workflow keeps its root and its last task. The live workflow is not changed;
only what is saved is smaller, so an instance saved before pruning loads and runs as it always did.

A process (or subprocess) with a parallel or inclusive gateway that merges two or more flows is
saved whole: SpiffWorkflow decides whether such a gateway fires by climbing from its tasks through
their ancestors to a task of each incoming flow, back to the process start when the gateway is in
a loop; without that history a loop back into the gateway would wait for ever.
"""
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from SpiffWorkflow.bpmn.specs.control import EventSplit
from SpiffWorkflow.bpmn.specs.mixins.inclusive_gateway import InclusiveGateway
from SpiffWorkflow.bpmn.specs.mixins.parallel_gateway import ParallelGateway
from SpiffWorkflow.task import Task
from SpiffWorkflow.util.task import TaskState

#: Off only to measure what pruning saves (bench/state_growth.py) and to prove it changes nothing.
enabled = True


@contextmanager
def disabled() -> Iterator[None]:
    """Save full task trees inside the block, as before pruning existed."""
    global enabled
    previous, enabled = enabled, False
    try:
        yield
    finally:
        enabled = previous


@dataclass
class Cut:
    """The tasks to save: `root`, and `top` with all its descendants, saved as the root's child."""

    root: Task
    top: Task
    kept: list[Task]


def cut(workflow) -> Cut | None:
    """What to save of `workflow` (the top process or a subprocess); None: save every task."""
    root = workflow.task_tree
    if not enabled or root is None or _merges_flows(workflow.spec):
        return None
    anchors = [t for t in workflow.tasks.values() if t.state & TaskState.NOT_FINISHED_MASK]
    if not anchors and workflow.last_task is not None and workflow.last_task.id in workflow.tasks:
        anchors = [workflow.last_task]
    top = _common_ancestor(anchors) if anchors else root
    if top.parent is not None:
        top = top.parent
    while top.parent is not None and isinstance(top.parent.task_spec, EventSplit):
        top = top.parent
    if top is root or top.parent is root:
        return None
    kept = {root.id, *(task.id for task in _subtree(top))}
    # in the workflow's own order: it is the order timers due at once fire in after loading
    return Cut(root, top, [task for task in workflow.tasks.values() if task.id in kept])


def _merges_flows(spec) -> bool:
    """Whether the process has a parallel or inclusive gateway with two or more incoming flows."""
    merges = getattr(spec, "merges_flows", None)
    if merges is None:
        merges = spec.merges_flows = any(
            isinstance(task_spec, (ParallelGateway, InclusiveGateway)) and len(task_spec.inputs) > 1
            for task_spec in spec.task_specs.values())
    return merges


def _common_ancestor(tasks: list[Task]) -> Task:
    """The deepest task that is (or is an ancestor of) every one of `tasks`."""
    path = _path_from_root(tasks[0])
    depth_of = {task.id: depth for depth, task in enumerate(path)}
    deepest = len(path) - 1
    for task in tasks[1:]:
        while task.id not in depth_of:
            task = task.parent
        deepest = min(deepest, depth_of[task.id])
    return path[deepest]


def _path_from_root(task: Task) -> list[Task]:
    path = []
    while task is not None:
        path.append(task)
        task = task.parent
    return path[::-1]


def _subtree(task: Task) -> list[Task]:
    found, stack = [], [task]
    while stack:
        current = stack.pop()
        found.append(current)
        stack.extend(current.children)
    return found
