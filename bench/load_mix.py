"""The load run's virtual users (bench/load.py): who does what, how often, and the measurements.

A *flow* is what one person does in one go — a citizen sends a report, a dispatcher opens the
inbox, a task and dispatches it — as the browser or the app would send it: web pages with a
signed-in session cookie and the CSRF token read from the page, REST calls with a bearer token
or a channel's API key. Flows start open-loop: their start times are a Poisson stream whose rate
is adjusted so that the requests reach the target rate, whatever the answers' latency; the
requests within one flow follow each other as a person's clicks do.

Proportions (FLOWS) follow one request's life in the complaint process (docs/process.md) with
the channel shares of the statistics benchmark (hotline 62 %, WeChat/app/SMS/API 29 %, web 9 %):
per request registered, one triage for those not registered at the desk, one dispatch, two
handler visits (sign for and first contact; the reply), one unit review, two visits of a
platform supervisor (platform review; the rating by phone or the revisit), two looks at the
tracking page by the requester (who rates there when asked), and the supervisors' and leaders'
reads (statistics, case list, case page).
"""
import json
import random
import re
import threading
import time
from collections import Counter, defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import requests

from app import demo

#: flow -> starts per request registered (see the module's docstring)
FLOWS = {
    "citizen_web_report": 0.09, "citizen_channel_report": 0.29, "registrar_desk": 0.62,
    "registrar_triage": 0.38, "dispatcher_dispatch": 1.0, "handler_work": 2.0, "reviewer_review": 1.0,
    "supervisor_work": 2.0, "citizen_track": 2.0, "leader_summary": 0.3, "leader_case_list": 0.5,
    "supervisor_case_page": 0.5,
}
#: the role whose logins run each staff flow
ROLES = {"registrar_desk": "registrar", "registrar_triage": "registrar",
         "dispatcher_dispatch": "dispatcher", "handler_work": "handler", "reviewer_review": "unit_reviewer",
         "supervisor_work": "platform_supervisor", "leader_summary": "leader", "leader_case_list": "leader",
         "supervisor_case_page": "platform_supervisor"}
#: flows of the city's staff, who see every case (the case numbers are the whole city's)
CITY_LOGINS = {"supervisor_case_page": f"s-{demo.CITY[0]}-CENTER"}
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
DATA_CSRF = re.compile(r'data-csrf="([^"]+)"')
SUBMISSION = re.compile(r'name="submission" value="([^"]+)"')
TASK_LINK = re.compile(r'href="/tasks/([0-9a-f-]{36})"')
CASE_LINK = re.compile(r'href="/cases/(HY[0-9]{8}-[0-9]+)"')
JSON_SCRIPT = r'<script type="application/json" id="{}">(.*?)</script>'
ISSUES = ("路灯不亮", "暖气不热", "夜间施工噪声", "楼道堆物", "拖欠工资", "占道经营", "违章搭建")
PASSWORD = "huiyin-demo"
TIMEOUT = 30
#: A flow that cannot start within this many seconds of its time (every client thread waits for an
#: answer) is dropped and counted: the offered rate stays fixed, and the queue stays bounded.
MAX_LAG = 2.0


@dataclass
class World:
    staff: dict[str, tuple[str, str]]  # username -> (role, unit code)
    channel_keys: list[str]
    places: list[str]  # village and grid codes
    case_numbers: list[str]
    tracking: list[str]  # tracking tokens of open cases (their requesters follow them)
    work: dict[tuple[str, str], int] = field(default_factory=dict)  # (unit code, role) -> open tasks


class Recorder:
    """Latencies and statuses per operation; 5xx are printed at once."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.measuring = False
        self.latency: dict[str, list[float]] = defaultdict(list)
        self.statuses: dict[str, Counter] = defaultdict(Counter)
        self.server_errors = 0
        self.requests = 0

    def add(self, op: str, ms: float, status: int, response: requests.Response | None) -> None:
        with self.lock:
            self.requests += 1
            if status >= 500 or status == 0:
                self.server_errors += 1
                body = response.text[:2000] if response is not None else ""
                print(f"\n!!! {status} on {op}: {response.request.method if response is not None else ''} "
                      f"{response.url if response is not None else ''}\n{body}\n", flush=True)
            if self.measuring:
                self.latency[op].append(ms)
                self.statuses[op][status] += 1


class Skip(Exception):
    """Nothing to do in this flow (an empty inbox, a task someone else took)."""


class Mix:
    def __init__(self, base: str, world: World, rng: random.Random, threads: int, work=None) -> None:
        self.base, self.world, self.rng = base, world, rng
        self.threads, self.work = threads, work
        #: a browser's or an app's cookies and headers (bench/request_cpu.py passes the Flask test client's)
        self.new_session = requests.Session
        self.recorder = Recorder()
        self.sessions: dict[str, requests.Session] = {}
        self.lock = threading.Lock()
        self.local = threading.local()  # the requests of the flow running in this thread
        self.sign_ins: list[float] = []
        self.flows, self.flow_requests = 0, 0
        self.lags: list[float] = []
        self.dropped = 0
        self.new_tracking: list[str] = []
        by_role = defaultdict(list)
        for username, (role, unit) in world.staff.items():
            by_role[role].append((username, unit))
        self.by_role = dict(by_role)

    # --- requests --------------------------------------------------------------------------------

    def call(self, session: requests.Session, op: str, method: str, path: str, ok=(200,), **kwargs):
        self.local.requests += 1
        started = time.perf_counter()
        try:
            response = session.request(method, self.base + path, timeout=TIMEOUT, allow_redirects=False,
                                       **kwargs)
        except requests.RequestException as error:
            self.recorder.add(op, (time.perf_counter() - started) * 1000, 0, None)
            print(f"\n!!! {op}: {method} {path}: {error}", flush=True)
            raise Skip from error
        self.recorder.add(op, (time.perf_counter() - started) * 1000, response.status_code, response)
        if response.status_code not in ok:
            raise Skip(f"{op}: {response.status_code}")
        return response

    # --- logins ----------------------------------------------------------------------------------

    def uses_api(self, username: str) -> bool:
        """Handlers of every other unit work in the mobile app (REST API), the others in the web."""
        role, unit = self.world.staff[username]
        return role == "handler" and sum(map(ord, unit)) % 2 == 0

    def _sign_in(self, username: str) -> requests.Session:
        session = self.new_session()
        started = time.perf_counter()
        if self.uses_api(username):
            response = session.post(f"{self.base}/api/v1/auth/token",
                                    json={"username": username, "password": PASSWORD}, timeout=TIMEOUT)
            if response.status_code != 201:
                raise SystemExit(f"sign-in of {username} failed: {response.status_code} "
                                 f"{response.text[:300]}")
            session.headers["Authorization"] = f"Bearer {response.json()['token']}"
        else:
            page = session.get(f"{self.base}/login", timeout=TIMEOUT)
            response = session.post(f"{self.base}/login", data={
                "csrf_token": CSRF.search(page.text).group(1), "username": username, "password": PASSWORD},
                timeout=TIMEOUT, allow_redirects=False)
            if response.status_code != 302:
                raise SystemExit(f"sign-in of {username} failed: {response.status_code}")
            # signing in clears the session's CSRF secret; a first page sets a new one, before two
            # flows of this login could each set their own and refuse the other's forms (400)
            session.get(f"{self.base}/", timeout=TIMEOUT)
        with self.lock:
            self.sign_ins.append((time.perf_counter() - started) * 1000)
        return session

    def sign_in_everyone(self) -> None:
        """Every login once, before the warm-up (argon2 is slow on purpose; not in the figures).
        Two flows of one login at the same time share its session, like two tabs of a browser."""
        started = time.perf_counter()
        with ThreadPoolExecutor(4) as pool:
            sessions = pool.map(self._sign_in, self.world.staff)
            self.sessions = dict(zip(self.world.staff, sessions, strict=True))
        print(f"  {len(self.world.staff)} staff signed in ({time.perf_counter() - started:.0f} s)")

    def pick_login(self, role: str) -> str:
        """A login of `role`, more likely where more tasks wait for that role."""
        logins = self.by_role[role]
        weights = [1 + self.world.work.get((unit, role), 0) for _, unit in logins]
        return self.rng.choices(logins, weights)[0][0]

    # --- the schedule ----------------------------------------------------------------------------

    def run(self, rate: float, duration: float, measuring: bool) -> None:
        """Start flows for `duration` seconds so that requests come at `rate` per second."""
        self.recorder.measuring = measuring
        names, weights = list(FLOWS), list(FLOWS.values())
        per_flow = 2.5  # requests per flow, re-estimated as flows finish
        started = time.monotonic()
        refreshed = 0.0
        at = started
        pool = ThreadPoolExecutor(self.threads)
        try:
            while at < started + duration:
                if self.work and at - refreshed > 15:
                    self.world.work, refreshed = self.work(), at
                if self.flows > 50:
                    per_flow = self.flow_requests / self.flows
                at += self.rng.expovariate(rate / per_flow)
                pause = at - time.monotonic()
                if pause > 0:
                    time.sleep(pause)
                pool.submit(self._flow, self.rng.choices(names, weights)[0], at)
        finally:
            pool.shutdown(wait=True, cancel_futures=True)
        self.recorder.measuring = False

    def _flow(self, name: str, due: float) -> None:
        lag = time.monotonic() - due
        if lag > MAX_LAG:
            with self.lock:
                self.dropped += self.recorder.measuring
            return
        self.local.requests = 0
        role = ROLES.get(name)
        username = CITY_LOGINS.get(name) or (self.pick_login(role) if role else None)
        session = self.sessions[username] if username else self.new_session()
        try:
            getattr(self, name)(session, username)
        except Skip:
            pass
        except Exception as error:  # a bug of the load script: say so, go on
            print(f"\n!!! flow {name} failed: {error!r}", flush=True)
        finally:
            with self.lock:
                self.flows += 1
                self.flow_requests += self.local.requests
                if self.recorder.measuring:
                    self.lags.append(lag * 1000)

    # --- citizens ----------------------------------------------------------------------------------

    def _citizen_headers(self) -> dict:
        """Each citizen comes from their own address (through the proxy: PROXY_COUNT=1)."""
        rng = self.rng
        return {"X-Forwarded-For": f"10.{rng.randrange(256)}.{rng.randrange(256)}.{rng.randrange(1, 255)}"}

    def _phone(self) -> str:
        return f"1{self.rng.choice('3578')}{self.rng.randrange(10**9):09d}"

    def _issue(self, place: str) -> tuple[str, str]:
        issue = self.rng.choice(ISSUES)
        days = self.rng.randrange(2, 30)
        return f"{issue}（{place[-6:]}）", f"{place[-3:]}号楼附近{issue}，已经持续{days}天，希望尽快处理。"

    def citizen_web_report(self, session, _):
        headers, place = self._citizen_headers(), self.rng.choice(self.world.places)
        qr = self.rng.random() < 0.5  # from a QR code poster: the place is fixed
        path = f"/report?territory={place}" if qr else "/report"
        page = self.call(session, "citizen GET /report", "GET", path, headers=headers).text
        title, description = self._issue(place)
        form = {"csrf_token": CSRF.search(page).group(1), "submission": SUBMISSION.search(page).group(1),
                "matter": "ordinary", "request_type": self.rng.choice(("complaint", "help", "consultation")),
                "title": title, "description": description, "phone": self._phone(), "name": "张女士"}
        if qr:
            form.update(territory_code=place, fixed="1")
        else:
            form.update(county=place[:6], township=place[:9], village=place[:12])
        sent = self.call(session, "citizen POST /report", "POST", "/report", ok=(303,), data=form,
                         files={"files": ("", b"")}, headers=headers)
        done = sent.headers["Location"]
        self.call(session, "citizen GET /report/done", "GET", done, headers=headers)
        with self.lock:
            self.new_tracking.append(done.rsplit("/", 1)[1])

    def citizen_channel_report(self, session, _):
        place = self.rng.choice(self.world.places)
        title, description = self._issue(place)
        body = {"title": title, "description": description, "territory_code": place,
                "requester_phone": self._phone(), "request_type": "complaint",
                "external_ref": f"load-{self.rng.getrandbits(64):x}"}
        self.call(session, "channel POST /api/v1/cases", "POST", "/api/v1/cases", ok=(201,), json=body,
                  headers={"X-Api-Key": self.rng.choice(self.world.channel_keys)})

    def citizen_track(self, session, _):
        with self.lock:
            fresh = self.new_tracking[-200:]
        token = self.rng.choice(fresh if fresh and self.rng.random() < 0.3 else self.world.tracking)
        headers = self._citizen_headers()
        page = self.call(session, "citizen GET /track/<token>", "GET", f"/track/{token}",
                         headers=headers).text
        if f"/track/{token}/rate" in page:
            happy = self.rng.random() < 0.85
            self.call(session, "citizen POST /track/<token>/rate", "POST", f"/track/{token}/rate", ok=(302,),
                      headers=headers, data={
                          "csrf_token": CSRF.search(page).group(1),
                          "satisfaction": "satisfied" if happy else "unsatisfied",
                          "resolution": "resolved" if happy else "unresolved"})

    # --- staff in the web --------------------------------------------------------------------------

    def registrar_desk(self, session, _):
        page = self.call(session, "registrar GET /desk", "GET", "/desk").text
        place = self.rng.choice(self.world.places)
        title, description = self._issue(place)
        consultation = self.rng.random() < 0.22
        answered = consultation and self.rng.random() < 0.5  # 即问即答
        form = {"csrf_token": CSRF.search(page).group(1), "phone": self._phone(), "name": "李先生",
                "request_type": "consultation" if consultation else "complaint",
                "category_code": self.rng.choice(("lighting", "heating", "noise", "property", "stall")),
                "territory_code": place, "title": title, "description": description,
                "decision": "answer" if answered else "accept",
                "answer": "已按政策解答，来电人表示清楚。" if answered else ""}
        sent = self.call(session, "registrar POST /desk", "POST", "/desk", ok=(200, 302), data=form)
        if sent.status_code == 200:  # possible duplicates shown: the registrar confirms a new case
            sent = self.call(session, "registrar POST /desk (confirmed new)", "POST", "/desk", ok=(302,),
                             data={**form, "confirmed_new": "1"})
        self.call(session, "staff GET /cases/<number>", "GET", sent.headers["Location"])

    def _inbox_task(self, session, who: str, query: str = "") -> str:
        page = self.call(session, f"{who} GET /inbox", "GET", f"/inbox{query}").text
        found = TASK_LINK.findall(page)
        if not found:
            raise Skip("empty inbox")
        return self.rng.choice(found[:20])

    def _task_page(self, session, who: str, task_id: str) -> tuple[str, dict, dict]:
        page = self.call(session, f"{who} GET /tasks/<id>", "GET", f"/tasks/{task_id}").text
        schema = re.search(JSON_SCRIPT.format("task-form-schema"), page, re.S)
        data = re.search(JSON_SCRIPT.format("task-form-data"), page, re.S)
        keys = {c.get("key") for c in json.loads(schema.group(1)).get("components", [])} if schema else set()
        return page, keys, json.loads(data.group(1)) if data else {}

    def _complete_web(self, session, who: str, task_id: str, page: str, data: dict) -> None:
        match = DATA_CSRF.search(page)
        if match is None:
            raise Skip("no form (not mine to act on)")
        self.call(session, f"{who} POST /tasks/<id>/complete", "POST", f"/tasks/{task_id}/complete",
                  ok=(200, 409), json={"data": data}, headers={"X-CSRFToken": match.group(1)})

    def registrar_triage(self, session, _):
        task_id = self._inbox_task(session, "registrar")
        page, keys, _ = self._task_page(session, "registrar", task_id)
        if "refusal_reason" in keys:
            self._complete_web(session, "registrar", task_id, page, {"action": "accept"})

    def dispatcher_dispatch(self, session, _):
        task_id = self._inbox_task(session, "dispatcher")
        page, keys, initial = self._task_page(session, "dispatcher", task_id)
        if "complexity" in keys and initial.get("unit_id"):
            self._complete_web(session, "dispatcher", task_id, page, {
                "action": "assign", "unit_id": initial["unit_id"], "level": initial["level"],
                "complexity": self.rng.choice(("simple", "simple", "complex"))})
        elif "return_reason" not in keys and "unit_id" in keys and initial.get("unit_id"):  # a return
            self._complete_web(session, "dispatcher", task_id, page, {"action": "overrule"})

    def _handler_data(self, keys: set) -> dict | None:
        if "contact_result" in keys:
            return {"action": "accept", "contact_result": "reached"}
        if "policy_basis" in keys:
            return {"action": "reply", "policy_basis": "《阜新市城市管理条例》",
                    "result": "已现场处理，已电话告知诉求人。",
                    "responsible_person": "王主任", "contact_phone": "0418-2812345"}
        if "part" in keys:
            return {"part": "已配合现场处置。"}
        return None

    def handler_work(self, session, username):
        if self.uses_api(username):
            return self._handler_api(session)
        task_id = self._inbox_task(session, "handler")
        page, keys, _ = self._task_page(session, "handler", task_id)
        if 'id="task-claim"' in page:  # 签收 first, then the page again with its form
            self.call(session, "handler POST /tasks/<id>/claim", "POST", f"/tasks/{task_id}/claim", ok=(302,),
                      data={"csrf_token": CSRF.search(page).group(1)})
            page, keys, _ = self._task_page(session, "handler", task_id)
        data = self._handler_data(keys)
        if data is not None:
            self._complete_web(session, "handler", task_id, page, data)

    def _handler_api(self, session):
        tasks = self.call(session, "handler-app GET /api/v1/tasks", "GET", "/api/v1/tasks?limit=50").json()
        if not tasks:
            raise Skip("empty inbox")
        task = self.rng.choice(tasks[:20])
        keys = {"first_contact": {"contact_result"}, "handle": {"policy_basis"}}.get(task["element_id"])
        if keys is None:
            raise Skip("not a handler's step this script does")
        if task["assignee_id"] is None:
            self.call(session, "handler-app POST /api/v1/tasks/<id>/claim", "POST",
                      f"/api/v1/tasks/{task['id']}/claim", ok=(200, 403, 409))
        self.call(session, "handler-app POST /api/v1/tasks/<id>/complete", "POST",
                  f"/api/v1/tasks/{task['id']}/complete", ok=(200, 403, 404, 409),
                  json={"data": self._handler_data(keys)})

    def reviewer_review(self, session, _):
        task_id = self._inbox_task(session, "reviewer")
        page, keys, _ = self._task_page(session, "reviewer", task_id)
        if "review_note" in keys:
            back = self.rng.random() < 0.05
            data = {"action": "send_back", "review_note": "请补充依据。"} if back else {"action": "approve"}
            self._complete_web(session, "reviewer", task_id, page, data)

    def supervisor_work(self, session, _):
        task_id = self._inbox_task(session, "supervisor")
        page, keys, _ = self._task_page(session, "supervisor", task_id)
        happy = self.rng.random() < 0.85
        rating = {"satisfaction": "satisfied" if happy else "unsatisfied",
                  "resolution": "resolved" if happy else "unresolved"}
        if "review_note" in keys and "unit_id" in keys:  # second handling
            data = {"action": "same_unit"}
        elif "review_note" in keys:  # platform review, extension review
            data = {"action": "approve"}
        elif "rating_channel" in keys:
            data = {**rating, "rating_channel": "phone"}
        elif "satisfaction" in keys:  # revisit
            data = {"action": "reached", **rating}
        elif "assessment" in keys:
            data = {"assessment": "completed", "assessment_note": "已整改。"}
        else:
            return
        self._complete_web(session, "supervisor", task_id, page, data)

    def supervisor_case_page(self, session, _):
        number = self.rng.choice(self.world.case_numbers)
        self.call(session, "staff GET /cases/<number>", "GET", f"/cases/{number}")

    def leader_case_list(self, session, _):
        query = self.rng.choice(("", "?status=open", "?q=路灯", "?light=red"))
        page = self.call(session, "leader GET /cases", "GET", f"/cases{query}").text
        numbers = CASE_LINK.findall(page)
        if numbers:
            self.call(session, "staff GET /cases/<number>", "GET", f"/cases/{self.rng.choice(numbers)}")

    def leader_summary(self, session, username):
        # leaders read the statistics in the app: a token of their own, besides the web session
        if "Authorization" not in session.headers:
            token = session.post(f"{self.base}/api/v1/auth/token", timeout=TIMEOUT,
                                 json={"username": username, "password": PASSWORD}).json()["token"]
            session.headers["Authorization"] = f"Bearer {token}"
        self.call(session, "leader GET /api/v1/statistics/summary", "GET", "/api/v1/statistics/summary")

    # --- the figures -------------------------------------------------------------------------------

    @property
    def server_errors(self) -> int:
        return self.recorder.server_errors

    def report(self, target_ms: float, elapsed: float) -> str:
        rows, total = [], 0
        lines = ["| operation | count | p50 ms | p95 ms | p99 ms | statuses | p95 < target |",
                 "|---|---|---|---|---|---|---|"]
        for op in sorted(self.recorder.latency):
            values = sorted(self.recorder.latency[op])
            total += len(values)
            p = [values[min(len(values) - 1, int(q * len(values)))] for q in (0.5, 0.95, 0.99)]
            statuses = ", ".join(f"{s}×{n}" for s, n in sorted(self.recorder.statuses[op].items()))
            rows.append(f"| {op} | {len(values)} | {p[0]:.0f} | {p[1]:.0f} | {p[2]:.0f} | {statuses} | "
                        f"{'yes' if p[1] < target_ms else '**no**'} |")
        lags = sorted(self.lags) or [0.0]
        sign_ins = sorted(self.sign_ins) or [0.0]
        return "\n".join([*lines, *rows, "",
                          f"{total} requests in {elapsed:.0f} s = {total / elapsed:.1f} requests/s; "
                          f"{len(self.lags)} flows started, late by p95 {lags[int(0.95 * len(lags))]:.0f} ms "
                          f"(client threads busy); {self.dropped} flows dropped (not started within "
                          f"{MAX_LAG:.0f} s: every client thread was waiting for an answer)",
                          f"sign-ins (argon2, before the warm-up): {len(sign_ins)}, "
                          f"p50 {sign_ins[len(sign_ins) // 2]:.0f} ms"])
