"""The process designer's workbench in a real browser (Debian's Chromium via Playwright).

The designer adds a "legal review" step after handling: a user task dropped on the flow, its
role from the picker, a new form drawn in the form editor, a deadline timer on a new phase;
validation refuses what is wrong with the element named (a click selects it), the fix passes,
the bundle is deployed, a case runs through the new step and a case started on the old version
is migrated — and the migration reverted. Screenshots go to HUIYIN_ARTIFACTS (default test-artifacts/).
"""
import pytest
from sqlalchemy import select

from app.engine.models import HumanTask, ProcessDefinition, ProcessInstance
from app.extensions import db
from tests import factories as f
from tests.browser_helpers import accessible, no_english, shot
from tests.test_browser_workspace import sign_in

pytestmark = pytest.mark.browser

SIMPLE = (f._TEST_BPMN / "simple_complaint.bpmn").read_bytes()
#: simple_complaint with a review step after handling (what a designer deploys as version 2).
WITH_REVIEW = SIMPLE.replace(
    b'<bpmn:sequenceFlow id="flow_handle_closed" sourceRef="handle" targetRef="closed" />',
    b'<bpmn:sequenceFlow id="flow_handle_closed" sourceRef="handle" targetRef="review" />'
    b'<bpmn:userTask id="review" name="Review" camunda:candidateGroups="handler">'
    b'<bpmn:incoming>flow_handle_closed</bpmn:incoming><bpmn:outgoing>flow_review_closed</bpmn:outgoing>'
    b'</bpmn:userTask><bpmn:sequenceFlow id="flow_review_closed" sourceRef="review" targetRef="closed" />'
).replace(b'<bpmndi:BPMNShape id="closed_di"',
          b'<bpmndi:BPMNShape id="review_di" bpmnElement="review">'
          b'<dc:Bounds x="420" y="200" width="100" height="80" /></bpmndi:BPMNShape>'
          b'<bpmndi:BPMNShape id="closed_di"')

@pytest.fixture
def people(app):
    city = f.territory("210900", "city")
    centre = f.unit("C210900", "city", territory=city, kind="centre")
    village = f.unit("V1", territory=city)
    return {"village": village, "designer": f.user("designer", (centre, "process_designer")),
            "handler": f.user("handler", (village, "handler")),
            "admin": f.user("admin", (centre, "administrator"))}


def open_editor(browser, base: str, version: int = 1):
    page = sign_in(browser, base, "designer", viewport={"width": 1600, "height": 1000})
    page.goto(f"{base}/designer/complaint/v{version}/edit")
    page.wait_for_selector("#designer-editor[data-ready=true]")
    return page


def drop_on(page, palette_action: str, target, dx: float = 0.5, dy: float = 0.5) -> None:
    """Take a palette entry and drop it at a point of `target` (a flow splits, a task border
    takes a boundary event)."""
    box = target.bounding_box()
    x, y = box["x"] + box["width"] * dx, box["y"] + box["height"] * dy
    page.click(f'.djs-palette [data-action="{palette_action}"]')
    page.mouse.move(x - 5, y)
    page.mouse.move(x, y)
    page.mouse.click(x, y)


def replace_with(page, entry: str) -> None:
    page.click('.djs-context-pad [data-action="replace"]')
    page.click(f'[data-id="replace-with-{entry}"]')


def properties_group(page, title: str):
    group = page.locator(".bio-properties-panel-group", has=page.locator(
        ".bio-properties-panel-group-header-title", has_text=title)).first
    header = group.locator(".bio-properties-panel-group-header")
    if "open" not in (header.get_attribute("class") or ""):
        header.click()
    return group


def element(page, element_id: str):
    return page.locator(f'.djs-element[data-element-id="{element_id}"] .djs-hit').first


def add_legal_review(page, form_ref: str) -> None:
    """The designer's gestures: a user task on the flow after handling, named, with the role
    from the picker, the candidate unit as an extension property and a Camunda form reference."""
    drop_on(page, "create.task", element(page, "flow_handle_closed"))
    replace_with(page, "user-task")
    properties_group(page, "General")
    page.fill("#bio-properties-panel-id", "legal_review")
    page.fill("#bio-properties-panel-name", "法制审核 Legal review")
    page.click("#picker-roles-heading, details:has(#picker-roles) > summary")
    page.click('#picker-roles button[title="handler"]')
    assert page.inner_text("#picker-status").endswith("legal_review")
    extension = properties_group(page, "Extension properties")
    extension.locator(".bio-properties-panel-group-header button").first.click()
    page.fill("#bio-properties-panel-legal_review-extensionProperty-0-name", "candidateUnit")
    page.fill("#bio-properties-panel-legal_review-extensionProperty-0-value", "unit_id")
    properties_group(page, "Forms")
    page.select_option("#bio-properties-panel-formType", "formRef")
    page.fill("#bio-properties-panel-formRef", form_ref)


def add_due_timer(page, task_id: str, timer_id: str) -> None:
    """A non-interrupting timer on the task's lower border, its deadline from the phase picker."""
    element(page, task_id).click()
    drop_on(page, "create.intermediate-event", element(page, task_id), dy=0.98)
    replace_with(page, "non-interrupting-timer-boundary")
    properties_group(page, "General")
    page.fill("#bio-properties-panel-id", timer_id)
    page.click('#picker-phases button[title="handling"]')
    assert page.inner_text("#picker-status").endswith(timer_id)


def new_form_with_a_text_field(page, form_id: str) -> None:
    page.fill("#form-new-id", form_id)
    page.click("#form-new")
    page.wait_for_selector(f'#designer-editor[data-form="{form_id}"]')
    page.locator('.fjs-palette-field[data-field-type="textfield"]').drag_to(
        page.locator(".fjs-drop-container-vertical").first)
    page.wait_for_selector("#form-editor .fjs-form-field-textfield")


def validate(page, expected_state: str) -> None:
    page.evaluate("document.getElementById('designer-editor').removeAttribute('data-state')")
    page.click("#bundle-check")
    page.wait_for_selector(f"#designer-editor[data-state={expected_state}]")


def test_validation_names_the_task_whose_form_is_missing_and_a_click_selects_it(browser, live_server, people):
    # given version 1 of the complaint process
    f.deploy("simple_complaint.bpmn")
    page = open_editor(browser, live_server)

    # when the designer adds a legal review step naming a form the bundle lacks, with a deadline
    add_legal_review(page, form_ref="legal-review")
    add_due_timer(page, "legal_review", "legal_review_due")
    validate(page, "refused")

    # then the problem names the task; clicking it selects the task on the diagram
    problem = page.locator('#bundle-problems button[data-element="legal_review"]')
    assert "legal-review" in problem.inner_text()
    shot(page, "designer-refused")
    problem.click()
    assert page.locator(".djs-element.selected").evaluate_all(
        "els => els.map(e => e.dataset.elementId)") == ["legal_review"]

    # when the designer draws the form, the same bundle passes validation, nothing deployed yet
    new_form_with_a_text_field(page, "legal-review")
    validate(page, "valid")
    assert page.locator("#bundle-problems li").count() == 0
    assert db.session.scalars(select(ProcessDefinition.version)).all() == [1]


def test_the_version_page_shows_where_open_cases_wait_and_the_diff_colours_the_new_step(
        browser, live_server, people):
    # given two cases waiting at "handle" on version 1, and version 2 adding a review step
    f.deploy("simple_complaint.bpmn")
    f.case("one", unit_row=people["village"])
    f.case("two", unit_row=people["village"])
    f.deploy("simple_complaint.bpmn", WITH_REVIEW)
    page = sign_in(browser, live_server, "designer", viewport={"width": 1600, "height": 1000})

    page.goto(f"{live_server}/designer/")
    accessible(page)
    no_english(page, allow=("Complaint handling",))  # the test file's process name, as the designer wrote it
    page.click('tr[data-version="1"] a[href$="/designer/complaint/v1"]')
    page.wait_for_selector("#designer-view[data-ready=true]")
    assert page.inner_text('#designer-view .heat[data-element="handle"]') == "2"
    accessible(page)
    shot(page, "designer-heatmap")

    page.goto(f"{live_server}/designer/")
    page.click('tr[data-version="2"] a[href*="/diff?"]')
    page.wait_for_selector("#diff-changes[data-ready=true]")
    assert page.locator('#diff-new .djs-element.diff-added[data-element-id="review"]').count() == 1
    assert page.locator('#diff-changes tr[data-element="review"][data-change="added"]').count() == 1
    changed = page.locator('#diff-changes tr[data-element="flow_handle_closed"][data-change="changed"]')
    assert 'targetRef: "#ref:closed" → "#ref:review"' in changed.inner_text()
    accessible(page)
    shot(page, "designer-diff")


# --- the whole path: needs the bundles, validation and migration parts of issue 13 -------------

def administrator_adds_phase(browser, base: str, code: str) -> None:
    """The administrator creates the phase with its time limit on the phases page."""
    page = sign_in(browser, base, "admin")
    page.goto(f"{base}/admin/phases-roles")
    page.fill("#p-code", code)
    page.fill("#p-name_zh", "法制审核")
    page.fill("#p-name_en", "Legal review")
    page.fill("#p-amount", "2")
    page.select_option("#p-unit", "working_days")
    page.click("form[action$='/admin/phases'] button[type=submit]")
    page.wait_for_url(f"{base}/admin/phases-roles")
    assert code in page.inner_text("main")
    page.context.close()


def open_task(case_id: int) -> HumanTask:
    db.session.expire_all()
    return db.session.scalars(select(HumanTask).where(HumanTask.case_id == case_id,
                                                      HumanTask.status == "open")).one()


def instance_version(case_id: int) -> int:
    db.session.expire_all()
    return db.session.scalar(select(ProcessDefinition.version).join(
        ProcessInstance, ProcessInstance.definition_id == ProcessDefinition.id).where(
        ProcessInstance.case_id == case_id))


def designer_deploys_legal_review(page, browser, base: str) -> None:
    """Add the step on an unknown phase, see it refused naming the timer, add the phase, deploy."""
    add_legal_review(page, form_ref="legal-review")
    new_form_with_a_text_field(page, "legal-review")
    element(page, "legal_review").click()
    page.click("#form-use")
    add_due_timer(page, "legal_review", "legal_review_due")
    properties_group(page, "Timer")
    page.fill("#bio-properties-panel-timerEventDefinitionValue", "deadline('legal_review')")
    validate(page, "refused")
    problem = page.locator("#bundle-problems button", has_text="'legal_review'")
    assert problem.get_attribute("data-diagram-element") == "legal_review_due"
    administrator_adds_phase(browser, base, "legal_review")
    validate(page, "valid")
    page.click("#bundle-deploy")
    page.wait_for_selector("#designer-editor[data-state=deployed]")
    assert "complaint v2" in page.inner_text("#bundle-result")


def migrate_old_case(page, base: str, number: str) -> None:
    page.goto(f"{base}/designer/complaint/v2/migrate")
    row = page.locator("tr", has_text=number)
    row.locator("input[name=instance]").check()
    page.click("button[name=dry_run][value='1']")
    page.wait_for_selector("#migration-report")
    row = page.locator(".designer-preview tr", has_text=number)
    row.locator("input[name=instance]").check()
    page.click("button[name=dry_run][value='0']")
    page.wait_for_selector("#migration-report")


def test_a_designer_adds_a_step_with_a_new_form_and_phase_deploys_it_and_migrates_an_old_case(
        browser, live_server, client, people):
    # given a case waiting at "handle" on version 1
    f.deploy("simple_complaint.bpmn")
    old_case = f.case("old", unit_row=people["village"])
    page = open_editor(browser, live_server)

    designer_deploys_legal_review(page, browser, live_server)

    # a new case runs through the new step, due by the new phase's limit, and closes
    new_case = f.case("new", unit_row=people["village"])
    headers = f.auth(client, "handler")
    assert client.post(f"/api/v1/tasks/{open_task(new_case.id).id}/complete", json={"data": {}},
                       headers=headers).status_code == 200
    legal = open_task(new_case.id)
    assert legal.element_id == "legal_review" and legal.form_key == "legal-review" and legal.due_at
    done = client.post(f"/api/v1/tasks/{legal.id}/complete", json={"data": {}}, headers=headers)
    assert done.status_code == 200, done.json

    # the old case: a dry run changes nothing, the migration moves it to version 2
    assert instance_version(old_case.id) == 1
    migrate_old_case(page, live_server, old_case.number)
    shot(page, "designer-migrated")
    assert instance_version(old_case.id) == 2


def test_a_migration_is_reverted_from_the_workbench(browser, live_server, people):
    f.deploy("simple_complaint.bpmn")
    old_case = f.case("old", unit_row=people["village"])
    f.deploy("simple_complaint.bpmn", WITH_REVIEW)
    page = open_editor(browser, live_server)
    migrate_old_case(page, live_server, old_case.number)
    assert instance_version(old_case.id) == 2

    page.locator("#migration-report tr", has_text=old_case.number).get_by_role("button").click()

    page.wait_for_load_state()
    assert instance_version(old_case.id) == 1
    assert open_task(old_case.id).element_id == "handle"
