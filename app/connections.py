"""The PostgreSQL connection pool: no round trip to check a connection before each use.

SQLAlchemy's `pool_pre_ping` asks the server before every checkout whether a pooled connection is
still alive: one round trip per transaction, 3 of the 32 of a benchmark instance. Instead:

* a connection the server closed while it sat in the pool (PostgreSQL restarted or failed over,
  `pg_terminate_backend`, an idle timeout) is recognised at checkout from its own socket: the
  server's last words (or the end of the stream) make it readable while no query is running.
  Asking the socket is local, so the check costs no round trip; the pool then throws the
  connection away and opens a new one, and the request never sees it;
* `pool_recycle` retires connections older than DATABASE_POOL_RECYCLE seconds (default 1800), so
  one that died silently (a middlebox dropped it without a word) is not kept for ever.

A connection that dies while a request is using it still fails that request, as before; its
transaction is rolled back, so no half-done change is left behind.
"""
import select

from sqlalchemy import event, exc
from sqlalchemy.pool import Pool


def engine_options(config) -> dict:
    """Pool settings, and `jit=off` for every session: PostgreSQL compiles a query whose estimated
    cost passes `jit_above_cost` to machine code first, which took 34 of 64 ms of an inbox query at
    3,000,000 cases (bench/README.md, "Scale"); the app's queries are short, so compiling never
    pays back."""
    return {"pool_pre_ping": False, "pool_recycle": int(config.get("DATABASE_POOL_RECYCLE", 1800)),
            "connect_args": {"options": "-c jit=off"}}


def closed_by_server(connection) -> bool:
    """Whether an idle psycopg connection was closed by the server, judged without a round trip.
    While no query runs the server has nothing to say, except when it ends the connection: then
    its last message (FATAL: terminating connection ...) and the end of the stream are waiting.
    So anything waiting to be read counts as closed; a live connection that only got a rare
    unsolicited message (a notice, a changed server setting) is replaced too, which costs a
    reconnect and nothing else."""
    if connection.closed:
        return True
    try:
        readable, _, _ = select.select([connection.fileno()], [], [], 0)
    except (OSError, ValueError):
        return True
    return bool(readable)


@event.listens_for(Pool, "checkout")
def _replace_if_closed(dbapi_connection, _record, _proxy) -> None:
    """DisconnectionError makes the pool discard this connection and check out a fresh one."""
    if hasattr(dbapi_connection, "pgconn") and closed_by_server(dbapi_connection):
        raise exc.DisconnectionError("the server closed this pooled connection")
