"""`make run`: migrate, deploy workflows, load demo data, then serve the web app and the
scheduler in one process on http://127.0.0.1:5000. Production runs gunicorn and `flask
scheduler` separately (docs/operations.md)."""
import os

from flask_migrate import upgrade

from app import create_app
from app.cli import demo_command, deploy_command, seed_defaults_command

app = create_app()

if __name__ == "__main__":
    from app.scheduler import build_scheduler

    with app.app_context():
        upgrade()
        runner = app.test_cli_runner()
        for command in (seed_defaults_command, deploy_command, demo_command):
            result = runner.invoke(command)
            print(result.output, end="")
            if result.exit_code != 0:
                raise SystemExit(result.exit_code)
    scheduler = build_scheduler(app)
    scheduler.start()
    port = int(os.environ.get("PORT", "5000"))
    print(f"Huiyin is running on http://127.0.0.1:{port} (API docs: /api/docs, health: /healthz)")
    app.run(host="127.0.0.1", port=port, threaded=True, use_reloader=False)
