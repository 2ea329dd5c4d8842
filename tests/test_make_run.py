"""`make run`'s entry point on a fresh database: migrates, deploys, loads the demo, prints the
logins and answers /healthz (with its in-process scheduler alive) within a minute; a second start
keeps the data."""
import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_and_wait_for_health(env: dict) -> tuple[dict, str]:
    process = subprocess.Popen([sys.executable, "run.py"], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True)
    url = f"http://127.0.0.1:{env['PORT']}/healthz"
    health, deadline = None, time.monotonic() + 60
    try:
        while time.monotonic() < deadline and process.poll() is None:
            try:
                with urllib.request.urlopen(url, timeout=2) as response:
                    health = json.load(response)
                if health["scheduler"]["status"] == "ok":
                    break
            except OSError:
                pass
            time.sleep(0.3)
    finally:
        process.terminate()
        output = process.communicate(timeout=30)[0]
    return health, output


@pytest.mark.slow
def test_run_answers_healthz_within_a_minute_and_keeps_data_on_restart(tmp_path):
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'run.sqlite3'}",
           "PORT": str(free_port())}
    health, output = start_and_wait_for_health(env)
    assert health is not None, output
    assert health["database"] == "ok" and health["scheduler"]["status"] == "ok", output
    assert "complaint version 1" in output and "registrar" in output and "huiyin-demo" in output

    health, output = start_and_wait_for_health(env)
    assert health is not None and health["scheduler"]["status"] == "ok", output
    assert "complaint version 1" in output  # redeploying the same file is a no-op
