"""`flask` commands: set up a new installation, deploy workflows, run the scheduler as its own
process, load or reset the demo data, issue channel API keys, rebuild the statistics rollup."""
import contextlib
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup

from app.engine import repository
from app.engine.errors import DeploymentError
from app.engine.transaction import transaction

workflows_cli = AppGroup("workflows", help="Deploy and list BPMN process definitions.")


@workflows_cli.command("deploy")
@click.argument("path", type=click.Path(exists=True, path_type=Path), required=False)
def deploy_command(path: Path | None):
    """Deploy a .bpmn file, or every .bpmn in a directory (default: WORKFLOWS_DIR), with the forms its
    tasks name (from FORMS_DIR, else the process's release). A bundle deployed before, as any
    version, is left alone: a restart never reverts a newer deployment."""
    path = path or Path(current_app.config["WORKFLOWS_DIR"])
    files = sorted(path.glob("*.bpmn")) if path.is_dir() else [path]
    try:
        with transaction():
            for file in files:
                for definition in repository.deploy(file.read_bytes(), file.name):
                    click.echo(f"{file.name}: {definition.process_id} version {definition.version}")
    except DeploymentError as exc:
        raise click.ClickException(exc.message) from None


@workflows_cli.command("list")
def list_command():
    """Show every deployed process: its newest version and the release new cases start on."""
    for process in repository.processes_overview():
        newest = process["versions"][0]
        click.echo(f"{process['process_id']} v{newest['version']} {newest['bundle_sha256'][:12]} "
                   f"release v{process['release_version']}")


@click.command("scheduler")
def scheduler_command():
    """Run the timer scheduler in the foreground (one or more per deployment)."""
    from app.scheduler import build_scheduler

    scheduler = build_scheduler(current_app._get_current_object(), blocking=True)
    click.echo("scheduler running; Ctrl+C stops it")
    with contextlib.suppress(KeyboardInterrupt, SystemExit):
        scheduler.start()


timelimits_cli = AppGroup("timelimits", help="The time-limit table.")


@timelimits_cli.command("seed-defaults")
def seed_defaults_command():
    """Fill an empty time-limit table with the defaults of the seeds (1+1+7, 1/2/5/10/20 days, ...)."""
    from app.timelimits.limits import seed_defaults

    with transaction():
        inserted = seed_defaults()
    click.echo(f"time limits: {inserted} default rows inserted" if inserted else
               "time limits: table already filled, nothing changed")


statistics_cli = AppGroup("statistics", help="Statistics (docs/statistics.md).")


@statistics_cli.command("rollup")
def rollup_command():
    """Write the rollup's triggers from the figures' definitions and refill it from the facts
    (PostgreSQL): after a change of TIMEZONE, or of a figure's definition without a migration."""
    from app.extensions import db
    from app.statistics import rollup

    if db.engine.dialect.name != "postgresql":
        raise click.ClickException("the rollup is kept on PostgreSQL only; SQLite counts from the facts")
    zone = current_app.config["TIMEZONE"]
    with transaction() as session:
        rows = rollup.install(session.connection(), zone)
    if rows is None:
        raise click.ClickException("the rollup table lacks columns of the figures: run `flask db upgrade`")
    click.echo(f"statistics rollup: {rows} rows ({rollup.signature(zone)})")


@click.command("demo")
def demo_command():
    """Load the demo data once (a second run changes nothing) and print the demo logins."""
    from app.demo import load_demo

    for line in load_demo():
        click.echo(line)


@click.command("demo-reset")
@click.option("--yes", is_flag=True, help="empty even a database that is not the embedded SQLite demo")
@click.pass_context
def demo_reset_command(ctx: click.Context, yes: bool):
    """Empty the database and load the demo afresh: migrations, default time limits, workflows/
    and the demo city with its logins. Stop `make run` first. Refused for anything but the
    embedded SQLite demo unless --yes (then all of its data is lost)."""
    from flask_migrate import upgrade

    from app import demo_reset

    refused = demo_reset.refusal()
    if refused and not yes:
        raise click.ClickException(f"{refused}; nothing was changed (--yes empties it anyway)")
    demo_reset.empty_database()
    upgrade()
    for command in (seed_defaults_command, deploy_command, demo_command):
        ctx.invoke(command)
    click.echo("demo data reset")


@click.command("setup")
@click.argument("city_code")
@click.argument("city_name")
@click.argument("admin_username")
@click.option("--admin-name", default="Administrator", help="the administrator's display name")
def setup_command(city_code: str, city_name: str, admin_username: str, admin_name: str):
    """A new installation's first steps: the city (root territory), its 12345 platform centre and
    the first administrator, whose generated password is printed this once. Everything else
    (territories, units, users, routing) the administrator then creates or imports in the admin
    pages. Refused once an active administrator exists."""
    from app.engine.errors import EngineError
    from app.organisation import admin

    try:
        with transaction():
            if admin.has_active_administrator():
                raise click.ClickException("an active administrator exists already; sign in as them")
            admin.create_territory(code=city_code, name=city_name, level="city")
            centre = admin.create_unit(code=f"C{city_code}", name=f"{city_name} 12345", level="city",
                                       kind="centre", territory_code=city_code)
            _, password = admin.create_user(admin_username, admin_name, memberships=[
                {"unit_code": centre.code, "role": "administrator"}])
    except EngineError as exc:
        raise click.ClickException(f"{exc.message}: {getattr(exc, 'errors', '')}") from None
    click.echo(f"city {city_code} {city_name}, platform centre {centre.code}")
    click.echo(f"administrator {admin_username}, password (shown once): {password}")


channels_cli = AppGroup("channels", help="Channel API keys (hotline, WeChat, SMS, e-mail, Open311, ...).")


@channels_cli.command("add-key")
@click.argument("channel")
@click.option("--name", default="", help="who uses it, e.g. 'WeChat service account'")
@click.option("--territory", default=None, help="territory code for requests that name none")
@click.option("--webhook", default=None, help="URL that receives status changes (signed)")
def add_key_command(channel: str, name: str, territory: str | None, webhook: str | None):
    """Issue an API key for CHANNEL and print it (it is shown only this once)."""
    from app.channels import keys
    from app.engine.errors import InvalidData

    try:
        with transaction():
            row, key = keys.issue(channel, name, territory, webhook)
    except InvalidData as exc:
        raise click.ClickException(f"{exc.message}: {exc.errors}") from None
    click.echo(f"channel {row.channel} key {row.id}: {key}")
    if row.webhook_secret:
        click.echo(f"webhook {row.webhook_url} signing secret: {row.webhook_secret}")


def init_app(app) -> None:
    app.cli.add_command(channels_cli)
    app.cli.add_command(workflows_cli)
    app.cli.add_command(timelimits_cli)
    app.cli.add_command(statistics_cli)
    app.cli.add_command(scheduler_command)
    app.cli.add_command(demo_command)
    app.cli.add_command(demo_reset_command)
    app.cli.add_command(setup_command)
