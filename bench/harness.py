"""What the database benchmarks share: median timing, one child process per database, throwaway databases."""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlparse, urlunparse

ROOT = Path(__file__).resolve().parent.parent
POSTGRES_SCHEMES = ("postgres://", "postgresql://")


def median_ms(call: Callable[[], object], *, warmup: int, repeat: int) -> float:
    """Median milliseconds of `repeat` calls of `call`, after `warmup` untimed ones."""
    # The first calls pay for cold caches, lazy imports and new connections, which a steady server has paid already.
    for _ in range(warmup):
        call()
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        call()
        times.append((time.perf_counter() - started) * 1000)
    # The median, not the mean: a shared machine adds the odd long pause.
    return statistics.median(times)


def run_child(script: str, database_url: str, argv: list[str]) -> dict:
    """Run `script --child *argv` on the database at `database_url`; return the JSON on its last stdout line."""
    # A process per database, because Django reads DATABASE_URL once, when its settings load.
    env = {**os.environ, "DATABASE_URL": database_url, "DJANGO_SETTINGS_MODULE": "reflect_site.settings"}
    done = subprocess.run([sys.executable, script, "--child", *argv], env=env, cwd=ROOT, capture_output=True,
                          text=True)
    if done.returncode:
        raise SystemExit(f"benchmark on {urlparse(database_url).scheme} failed:\n{done.stderr or done.stdout}")
    # The last line only: migrations or the code under test may print before it.
    return json.loads(done.stdout.strip().splitlines()[-1])


@contextmanager
def throwaway_postgres(url: str, name: str) -> Iterator[str]:
    """Yield the URL of a new, empty database `name` on the server `url` points at; drop it afterwards."""
    import psycopg  # imported here so that SQLite-only runs work without it
    from psycopg import sql

    parts = urlparse(url)
    # A database cannot be created or dropped while connected to it, so go through the maintenance database.
    admin = urlunparse(parts._replace(path="/postgres"))
    database = sql.Identifier(name)

    def execute(statement: sql.Composed) -> None:
        # CREATE and DROP DATABASE refuse to run inside a transaction.
        with psycopg.connect(admin, autocommit=True) as connection:
            connection.execute(statement)

    # FORCE: an interrupted earlier run may have left the database behind, still connected.
    execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(database))
    execute(sql.SQL("CREATE DATABASE {}").format(database))
    try:
        yield urlunparse(parts._replace(path=f"/{name}"))
    finally:
        execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(database))


def measure_databases(script: str, argv: list[str], *, postgres_name: str, announce: str | None = None
                      ) -> dict[str, dict]:
    """Run `script` as a child on a throwaway SQLite file and, if DATABASE_URL is PostgreSQL, on `postgres_name`."""
    # Keyed by the databases actually measured, SQLite first, so the tables can print one column per key.
    results: dict[str, dict] = {}
    with tempfile.TemporaryDirectory() as directory:
        if announce:
            print(f"SQLite: {announce}", flush=True)
        results["SQLite"] = run_child(script, f"sqlite:///{directory}/bench.sqlite3", argv)
    database_url = os.environ.get("DATABASE_URL", "")
    if database_url.startswith(POSTGRES_SCHEMES):
        if announce:
            print(f"PostgreSQL: the same in a throwaway database {postgres_name}…", flush=True)
        with throwaway_postgres(database_url, postgres_name) as url:
            results["PostgreSQL"] = run_child(script, url, argv)
    else:
        print("PostgreSQL: skipped (set DATABASE_URL=postgres://… to measure it too).")
    return results
