"""Real servers for the fault tests and bench/load.py: a private PostgreSQL cluster, gunicorn, an HTTP client.

A private cluster, not a database on the shared server, because the fault tests stop and
restart PostgreSQL itself. Every process started here runs in its own process group and
is stopped by the context managers, whatever happens in between. Traffic goes to
127.0.0.1 only.
"""

from __future__ import annotations

import glob
import http.cookiejar
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def postgres_bin() -> Path:
    """The directory of initdb and pg_ctl: $PG_BIN, else the newest Debian-packaged PostgreSQL."""
    if os.environ.get("PG_BIN"):
        return Path(os.environ["PG_BIN"])
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"), key=lambda p: int(Path(p).parts[-3]))
    if not found:
        raise RuntimeError("PostgreSQL's server binaries were not found; set PG_BIN to the directory of pg_ctl.")
    return Path(found[-1]).parent


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _stop_group(process: subprocess.Popen, grace_s: float = 10) -> None:
    """SIGTERM the process group, SIGKILL it if it lingers."""
    if process.poll() is not None:
        return
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=grace_s)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=grace_s)
    except ProcessLookupError:
        pass


class PrivatePostgres:
    """A PostgreSQL cluster of its own in a temporary directory, trust auth, on a free port of 127.0.0.1.

    Run as root, the server runs as the `postgres` OS user, which PostgreSQL insists on.
    """

    def __init__(self, directory: Path, *, port: int | None = None, durable: bool = True):
        self.directory = directory
        self.data = directory / "data"
        self.log = directory / "postgres.log"
        self.port = port or free_port()
        self.durable = durable
        self.bin = postgres_bin()

    def _run(self, *argv: str, timeout: float = 60) -> None:
        command = [str(self.bin / argv[0]), *argv[1:]]
        if os.geteuid() == 0:
            command = ["runuser", "-u", "postgres", "--", *command]
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout, cwd=self.directory)
        if done.returncode:
            log = self.log.read_text(errors="replace")[-2000:] if self.log.exists() else ""
            raise RuntimeError(f"{' '.join(argv[:2])} failed: {done.stderr or done.stdout}\n{log}")

    def init(self) -> None:
        if os.geteuid() == 0:
            shutil.chown(self.directory, "postgres", "postgres")
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8",
                  "--locale=C", "--no-sync")
        options = [f"port = {self.port}", "listen_addresses = '127.0.0.1'",
                   f"unix_socket_directories = '{self.directory}'", "max_connections = 200"]
        if not self.durable:
            # Tests restart the server with a clean shutdown, which still writes everything out.
            options += ["fsync = off", "synchronous_commit = off", "full_page_writes = off"]
        with open(self.data / "postgresql.conf", "a") as conf:
            conf.write("\n".join(options) + "\n")

    def start(self) -> None:
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-w", "-t", "60", "start")

    def stop(self, mode: str = "fast") -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "-t", "60", "stop")

    def is_running(self) -> bool:
        return (self.data / "postmaster.pid").exists()

    def url(self, database: str = "postgres") -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{database}"

    def create_database(self, name: str) -> str:
        import psycopg
        from psycopg import sql

        with psycopg.connect(self.url(), autocommit=True) as connection:
            connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        return self.url(name)


@contextmanager
def private_postgres(*, durable: bool = True) -> Iterator[PrivatePostgres]:
    """A running private cluster; stopped (immediately) and deleted afterwards."""
    directory = Path(tempfile.mkdtemp(prefix="reflect-pg-"))
    cluster = PrivatePostgres(directory, durable=durable)
    try:
        cluster.init()
        cluster.start()
        yield cluster
    finally:
        if cluster.is_running():
            try:
                cluster.stop("immediate")
            except (RuntimeError, subprocess.TimeoutExpired):
                pass
        shutil.rmtree(directory, ignore_errors=True)


def production_env(database_url: str, secret_key: str, **extra: str) -> dict[str, str]:
    """The environment of a production-like process: DEBUG off, a strong key, this loopback host only."""
    env = {k: v for k, v in os.environ.items() if k not in {"TEST_DATABASE_NAME", "DJANGO_SETTINGS_MODULE"}}
    env.update({
        "DJANGO_SETTINGS_MODULE": "reflect_site.settings", "DATABASE_URL": database_url, "DEBUG": "0",
        "SECRET_KEY": secret_key, "ALLOWED_HOSTS": "127.0.0.1", "SECURE_SSL_REDIRECT": "0",
        "LOG_LEVEL": "WARNING", "PYTHONPATH": str(ROOT),
    })
    env.update(extra)
    return env


def new_secret_key() -> str:
    return secrets.token_urlsafe(50)


def _collected_static_is_fresh() -> bool:
    """Whether collectstatic's output (in settings' STATIC_ROOT, ROOT/staticfiles) is newer than every static file."""
    manifest = ROOT / "staticfiles" / "staticfiles.json"
    if not manifest.exists():
        return False
    newest = max((p.stat().st_mtime for p in (ROOT / "static").rglob("*") if p.is_file()), default=0)
    return newest < manifest.stat().st_mtime


def prepare_database(env: dict[str, str], setup_code: str = "print('null')", timeout: float = 600) -> object:
    """Migrate, create the cache table, collect static files if they changed (production settings serve the
    collected ones), then run `setup_code` (see run_python), all in one child; what `setup_code` printed."""
    collect = "" if _collected_static_is_fresh() else "call_command('collectstatic', '--noinput', verbosity=0)\n"
    return run_python(env, "from django.core.management import call_command\n"
                           "call_command('migrate', '--noinput', verbosity=0)\n"
                           "call_command('createcachetable')\n" + collect + setup_code, timeout=timeout)


def run_python(env: dict[str, str], code: str, timeout: float = 300) -> object:
    """Run `code` after django.setup() in a child with `env`; it prints one JSON line last, returned decoded."""
    script = "import django\ndjango.setup()\n" + code
    done = subprocess.run([sys.executable, "-c", script], env=env, cwd=ROOT, capture_output=True, text=True,
                          timeout=timeout)
    if done.returncode:
        raise RuntimeError(f"setup code failed:\n{done.stderr[-4000:] or done.stdout[-4000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


class AppServer:
    """gunicorn serving reflect with sync workers, in its own process group."""

    def __init__(self, env: dict[str, str], *, workers: int = 2, port: int | None = None, timeout_s: int = 30,
                 log_path: Path | None = None):
        self.env = env
        self.workers = workers
        self.port = port or free_port()
        self.timeout_s = timeout_s
        self.log_path = log_path
        self.process: subprocess.Popen | None = None
        self._log = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, ready_timeout_s: float = 60) -> None:
        self._log = open(self.log_path, "ab") if self.log_path else subprocess.DEVNULL
        self.process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "reflect_site.wsgi", "--bind", f"127.0.0.1:{self.port}",
             "--workers", str(self.workers), "--worker-class", "sync", "--timeout", str(self.timeout_s),
             "--graceful-timeout", "5"],
            env=self.env, cwd=ROOT, stdout=self._log, stderr=self._log, start_new_session=True,
        )
        deadline = time.monotonic() + ready_timeout_s
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited with {self.process.returncode}; see {self.log_path}")
            if len(self.worker_pids()) == self.workers:
                try:
                    if Client(self.url).get("/accounts/login/").status == 200:
                        return
                except OSError:
                    pass
            time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"gunicorn did not answer within {ready_timeout_s} s")

    def worker_pids(self) -> set[int]:
        """The master's current children, which are its workers."""
        if self.process is None:
            return set()
        path = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        try:
            return {int(pid) for pid in path.read_text().split()}
        except (FileNotFoundError, ProcessLookupError):
            return set()

    def worker_holding(self, client_port: int) -> int | None:
        """The worker whose accepted connection comes from our local `client_port`, if any."""
        inodes = set()
        for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
            fields = line.split()
            local_port = int(fields[1].split(":")[1], 16)
            remote_port = int(fields[2].split(":")[1], 16)
            if local_port == self.port and remote_port == client_port:
                inodes.add(fields[9])
        for pid in self.worker_pids():
            try:
                for fd in os.listdir(f"/proc/{pid}/fd"):
                    target = os.readlink(f"/proc/{pid}/fd/{fd}")
                    if target.startswith("socket:[") and target[8:-1] in inodes:
                        return pid
            except (FileNotFoundError, ProcessLookupError):
                continue
        return None

    def stop(self) -> None:
        if self.process is not None:
            _stop_group(self.process)
        if self._log not in (None, subprocess.DEVNULL):
            self._log.close()


@contextmanager
def app_server(env: dict[str, str], **options) -> Iterator[AppServer]:
    server = AppServer(env, **options)
    try:
        server.start()
        yield server
    finally:
        server.stop()


class LoopbackCookiePolicy(http.cookiejar.DefaultCookiePolicy):
    """Send Secure cookies over plain HTTP: production settings mark them Secure, and TLS would end
    at a load balancer that these tests and benchmarks talk past, on 127.0.0.1."""

    def return_ok_secure(self, cookie, request) -> bool:
        return True


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", errors="replace")

    def json(self) -> object:
        return json.loads(self.body)


class Client:
    """A cookie-keeping HTTP client for one user on one server: no redirects followed, errors returned."""

    def __init__(self, base_url: str, jar: http.cookiejar.CookieJar | None = None):
        self.base_url = base_url
        self.jar = jar if jar is not None else http.cookiejar.CookieJar(policy=LoopbackCookiePolicy())
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar), _NoRedirects)

    def on(self, base_url: str) -> Client:
        """The same cookies (so the same session), sent to another server."""
        return Client(base_url, self.jar)

    def cookie(self, name: str) -> str | None:
        return next((c.value for c in self.jar if c.name == name), None)

    def request(self, method: str, path: str, *, body: bytes | None = None, headers: dict | None = None,
                timeout: float = 15) -> Reply:
        request = urllib.request.Request(self.base_url + path, data=body, method=method, headers=headers or {})
        try:
            with self.opener.open(request, timeout=timeout) as answer:
                return Reply(answer.status, dict(answer.headers), answer.read())
        except urllib.error.HTTPError as error:
            with error:
                return Reply(error.code, dict(error.headers), error.read())

    def get(self, path: str, **options) -> Reply:
        return self.request("GET", path, **options)

    def post_form(self, path: str, fields: dict, **options) -> Reply:
        token = fields.get("csrfmiddlewaretoken") or self.cookie("csrftoken") or ""
        body = urllib.parse.urlencode({"csrfmiddlewaretoken": token, **fields}).encode()
        return self.request("POST", path, body=body, headers={
            "Content-Type": "application/x-www-form-urlencoded", "X-CSRFToken": token}, **options)

    def post_json(self, path: str, payload: object, **options) -> Reply:
        return self.request("POST", path, body=json.dumps(payload).encode(), headers={
            "Content-Type": "application/json", "X-CSRFToken": self.cookie("csrftoken") or ""}, **options)

    def login(self, username: str, password: str) -> None:
        """Log in through the real login form; RuntimeError unless it redirects away from it."""
        page = self.get("/accounts/login/")
        token = CSRF_INPUT.search(page.text)
        if page.status != 200 or not token:
            raise RuntimeError(f"login page answered {page.status}")
        done = self.post_form("/accounts/login/", {"username": username, "password": password,
                                                   "csrfmiddlewaretoken": token.group(1)})
        if done.status != 302 or "/accounts/login/" in done.headers.get("Location", ""):
            raise RuntimeError(f"logging in {username} answered {done.status}")
