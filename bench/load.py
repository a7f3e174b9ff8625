"""Load: three scenarios run by Locust against gunicorn and PostgreSQL, each proven to lose nothing.

Run `python bench/load.py`. It starts everything itself: a private PostgreSQL cluster in a
temporary directory (PostgreSQL's server binaries must be installed; PG_BIN names their
directory if they are not in the usual place), a course from `load_scale_fixture` plus two
open questions, and gunicorn with production settings (DEBUG off, 4 sync workers). Then
it runs Locust headless, in a child process, for

  steady         50 students autosaving every 2 s while 5 TAs grade (open page, save and next)
  deadline rush  300 students each submitting at their own moment within 2 minutes
  grading day    10 TAs grading with save and next, each also re-posting a stale save now and then

and prints p50, p95 and p99 per endpoint and the errors of each. After each scenario it
reads the database and checks that every autosave and submission the server acknowledged
is the text there, that every grade it acknowledged is there, and that no refused or
conflicting save was applied (no version applied twice). Targets: no 5xx, and in the
steady scenario p95 under 150 ms for autosave and the grading page.

Every user has a session of their own, made once in the database as a login would, so the
figures are about writing and grading, not password hashing (django-axes and the login
form are not exercised here). `--time-scale 0.25` runs every scenario in a quarter of the
time, `--only steady` one scenario, and `--restart-postgres` adds a steady run during which
PostgreSQL is stopped for 5 s (its requests get 503s; nothing acknowledged may be lost).
Besides Locust's figures it prints the time spent inside Django (from reflect's request log):
on a busy machine the gap between the two is queueing. Locust's CSV files and gunicorn's log
are left in bench/out/load/.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import threading
import time
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from reflect_site.tests.servers import (  # noqa: E402
    app_server,
    new_secret_key,
    prepare_database,
    private_postgres,
    production_env,
)

OUT = ROOT / "bench" / "out" / "load"
WORKERS = 4
STUDENTS = 400  # 50 steady writers and 300 rush submitters, each their own
TAS = 15  # 5 for the steady scenario, 10 for grading day
GRADING_QUESTIONS = 8
P95_TARGET_MS = 150
# Which endpoint a request line in the server's log is, by method and path (as the Locust users name them).
ENDPOINTS = [
    ("POST", re.compile(r"^/questions/\d+/save$"), "autosave"),
    ("POST", re.compile(r"^/questions/\d+/submit$"), "submit"),
    ("GET", re.compile(r"^/questions/\d+/$"), "question page"),
    ("GET", re.compile(r"^/responses/\d+/$"), "response page"),
    ("GET", re.compile(r"^/grading/questions/\d+/$"), "queue page"),
    ("GET", re.compile(r"^/grading/responses/\d+/$"), "grading page"),
    ("POST", re.compile(r"^/grading/responses/\d+/save/$"), "grade save"),
]
TARGET_ENDPOINTS = ("autosave", "grading page")

SETUP = """
import json
from datetime import timedelta
from importlib import import_module

from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY, get_user_model
from django.core.management import call_command
from django.utils import timezone

from courses.models import Course, Module, Question
from courses.tests.factories import make_question

call_command("load_scale_fixture", course="load", students=STUDENTS, questions=GRADING_QUESTIONS, tas=TAS,
             graded=0.0, stdout=open("/dev/null", "w"))
course = Course.objects.get(slug="load")
grading = list(Question.objects.filter(module__course=course).order_by("pk").values_list("pk", flat=True))
live = Module.objects.create(course=course, number=99, slug="live", title="Due this week")
now = timezone.now()
steady = make_question(live, 1, title="Written under steady load", opens_at=now - timedelta(days=1),
                       due_at=now + timedelta(days=7))
rush = make_question(live, 2, title="Due in two minutes", opens_at=now - timedelta(days=1),
                     due_at=now + timedelta(days=7))

# One session per user, made as django.contrib.auth.login makes it.
store = import_module(settings.SESSION_ENGINE).SessionStore
backend = "django.contrib.auth.backends.ModelBackend"
sessions = {}
for user in get_user_model().objects.filter(username__startswith="load-"):
    session = store()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = backend
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.create()
    sessions[user.username] = session.session_key

students = [f"load-s{i:05d}" for i in range(1, STUDENTS + 1)]
tas = [f"load-ta{j}" for j in range(1, TAS + 1)]
print(json.dumps({
    "session_cookie": settings.SESSION_COOKIE_NAME, "sessions": sessions,
    "steady_question": steady.pk, "rush_question": rush.pk, "grading_questions": grading,
    "pools": {"steady_students": students[:50], "rush_students": students[50:350],
              "steady_tas": tas[:5], "grading_day_tas": tas[5:15]},
}))
"""


@dataclass
class Scenario:
    name: str
    users: dict[str, int]  # Locust user class → how many
    run_s: float
    spawn_rate: int
    check_targets: bool = False
    # Leave the ramp-up (every user's first page, each worker's first requests) out of the figures.
    reset_stats: bool = True
    # Stop PostgreSQL this many seconds into the run, for `outage_s`, then start it again.
    restart_at_s: float | None = None
    outage_s: float = 5


STEADY_RAMP_S = 55 / 2  # users join two a second, as a class logs on, not all in one instant


def scenarios(scale: float, restart: bool) -> list[Scenario]:
    rush_window = 120 * scale
    chosen = [
        # Measured for 90 s once everyone is writing (Locust's figures restart when the last user has joined).
        Scenario("steady", {"SteadyStudent": 50, "SteadyTA": 5}, STEADY_RAMP_S + 90 * scale, 2, check_targets=True),
        Scenario("deadline rush", {"RushStudent": 300}, rush_window + 15, 100, reset_stats=False),
        Scenario("grading day", {"GradingDayTA": 10}, 90 * scale, 5),
    ]
    if restart:
        chosen.append(Scenario("steady, PostgreSQL restarted", {"SteadyStudent": 50, "SteadyTA": 5},
                               STEADY_RAMP_S + 60 * scale, 2, reset_stats=False,
                               restart_at_s=STEADY_RAMP_S + 20 * scale))
    return chosen


def restart_postgres_during(scenario: Scenario, cluster) -> threading.Thread | None:
    """Stop the cluster `restart_at_s` into the scenario and start it `outage_s` later, in a thread."""
    if scenario.restart_at_s is None:
        return None

    def restart() -> None:
        time.sleep(scenario.restart_at_s)
        cluster.stop("fast")
        time.sleep(scenario.outage_s)
        cluster.start()

    thread = threading.Thread(target=restart, daemon=True)
    thread.start()
    return thread


def run_locust(scenario: Scenario, host: str, data_path: Path, scale: float) -> dict:
    """Run one scenario headless in a child; Locust's stats rows by endpoint name, and what the users recorded."""
    slug = scenario.name.replace(" ", "_")
    prefix, out = OUT / slug, OUT / f"{slug}.json"
    env = {**os.environ, "REFLECT_LOAD_DATA": str(data_path), "REFLECT_LOAD_OUT": str(out),
           "REFLECT_RUSH_WINDOW_S": str(120 * scale)}
    command = [sys.executable, "-m", "locust", "-f", str(ROOT / "bench" / "locustfile.py"), "--headless",
               "--host", host, "-u", str(sum(scenario.users.values())), "-r", str(scenario.spawn_rate),
               "-t", f"{round(scenario.run_s)}s", "--stop-timeout", "20", "--csv", str(prefix), "--only-summary",
               "--loglevel", "WARNING", "--exit-code-on-error", "0",
               *(["--reset-stats"] if scenario.reset_stats else []), *scenario.users]
    with open(OUT / f"{slug}.locust.log", "w") as log:
        done = subprocess.run(command, env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
                              timeout=scenario.run_s + 120, start_new_session=True)
    if done.returncode:
        raise SystemExit(f"Locust failed ({done.returncode}); see {OUT / f'{slug}.locust.log'}")
    with open(f"{prefix}_stats.csv", newline="") as stats:
        rows = {row["Name"]: row for row in csv.DictReader(stats)}
    return {"stats": rows, **json.loads(out.read_text())}


def verify(database_url: str, recorded: dict) -> dict[str, list[str]]:
    """What the database says about every acknowledged and refused save; problems by kind (empty is good)."""
    import psycopg

    problems: dict[str, list[str]] = defaultdict(list)
    with psycopg.connect(database_url) as db:
        unanswered_drafts = {(u["user"], u["question"], u["version"], u["text"])
                             for u in recorded["unanswered"] if u["kind"] == "draft"}
        unanswered_grades = {(u["response"], u["base_version"] + 1, u["score"], u["feedback"])
                             for u in recorded["unanswered"] if u["kind"] == "grade"}
        drafts: dict[tuple[str, int], list[dict]] = defaultdict(list)
        for ack in recorded["drafts"]:
            drafts[(ack["user"], ack["question"])].append(ack)
        for (user, question), acks in drafts.items():
            row = db.execute(
                "SELECT r.id, r.version, r.text, r.status, r.submitted_text FROM courses_response r "
                "JOIN auth_user u ON u.id = r.student_id WHERE u.username = %s AND r.question_id = %s",
                (user, question)).fetchone()
            if row is None:
                problems["lost drafts"].append(f"{user} q{question}: no response at all")
                continue
            response_id, version, text, status, submitted_text = row
            last = max(acks, key=lambda a: a["version"])
            if (user, question, version, text) in unanswered_drafts and version == last["version"] + 1:
                problems["applied without an answer"].append(f"{user} q{question}: v{version}")
            elif (version, text) != (last["version"], last["text"]):
                problems["lost drafts"].append(f"{user} q{question}: v{version} in the database, v{last['version']} "
                                               "acknowledged last")
            if last["submitted"] and (status != "submitted" or submitted_text != last["text"]):
                problems["lost submissions"].append(f"{user} q{question}: acknowledged submission not stored")
            applied = db.execute("SELECT version, text FROM courses_responserevision WHERE response_id = %s "
                                 "AND version IS NOT NULL", (response_id,)).fetchall()
            versions = [v for v, _ in applied]
            if len(versions) != len(set(versions)) or sorted(versions) != list(range(1, version + 1)):
                problems["versions applied twice or skipped"].append(f"{user} q{question}: {sorted(versions)}")
            history = dict(applied)
            for ack in acks:
                if history.get(ack["version"]) != ack["text"]:
                    problems["lost drafts"].append(f"{user} q{question}: acknowledged v{ack['version']} not in history")

        grades: dict[int, list[dict]] = defaultdict(list)
        for ack in recorded["grades"]:
            grades[ack["response"]].append(ack)
        refused_by_response: dict[int, list[dict]] = defaultdict(list)
        for refusal in recorded["refused_grades"]:
            refused_by_response[refusal["response"]].append(refusal)
        for response_id in set(grades) | set(refused_by_response):
            events = db.execute(
                "SELECT kind, version, new_score, new_feedback FROM grading_gradeevent WHERE response_id = %s",
                (response_id,)).fetchall()
            applied = [(version, score, feedback) for kind, version, score, feedback in events
                       if kind != "conflict_refused"]
            refused_feedback = {feedback for kind, _, _, feedback in events if kind == "conflict_refused"}
            grade = db.execute("SELECT version, score, feedback FROM grading_grade WHERE response_id = %s",
                               (response_id,)).fetchone()
            versions = [v for v, _, _ in applied]
            if len(versions) != len(set(versions)) or (grade and sorted(versions) != list(range(1, grade[0] + 1))):
                problems["conflicts applied twice"].append(f"response {response_id}: versions {sorted(versions)}")
            for ack in grades[response_id]:
                if (ack["base_version"] + 1, ack["score"], ack["feedback"]) not in applied:
                    problems["lost grades"].append(f"response {response_id}: {ack['feedback']!r} not applied")
            if grades[response_id]:
                last = max(grades[response_id], key=lambda a: a["base_version"])
                if grade is not None and (response_id, *grade) in unanswered_grades and grade[0] > last["base_version"]:
                    problems["applied without an answer"].append(f"response {response_id}: v{grade[0]}")
                elif grade is None or tuple(grade) != (last["base_version"] + 1, last["score"], last["feedback"]):
                    problems["lost grades"].append(f"response {response_id}: the grade is not the last acknowledged")
            for refusal in refused_by_response[response_id]:
                if any(feedback == refusal["feedback"] for _, _, feedback in applied):
                    problems["refused saves applied"].append(f"response {response_id}: {refusal['feedback']!r}")
                if refusal["feedback"] not in refused_feedback:
                    problems["refused saves not audited"].append(f"response {response_id}: {refusal['feedback']!r}")
    return problems


def server_times(log_path: Path, offset: int) -> dict[str, list[float]]:
    """Milliseconds the app spent on each request (reflect's request log), from byte `offset` of gunicorn's log."""
    times: dict[str, list[float]] = defaultdict(list)
    with open(log_path, "rb") as log:
        log.seek(offset)
        for line in log:
            try:
                entry = json.loads(line)
            except ValueError:
                continue  # gunicorn's own lines
            if entry.get("logger") != "reflect.request" or "duration_ms" not in entry:
                continue
            for method, path, name in ENDPOINTS:
                if entry.get("method") == method and path.match(entry.get("path", "")):
                    times[name].append(entry["duration_ms"])
    return times


def _percentile(values: list[float], q: int) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1] if len(values) > 1 else values[0]


def _ms(row: dict, column: str) -> str:
    value = row.get(column, "")
    return f"{float(value):8.0f}" if value not in ("", "N/A") else f"{'-':>8}"


def report(scenario: Scenario, result: dict, problems: dict[str, list[str]]) -> bool:
    """Print the scenario's table, errors, checks and targets; whether everything held."""
    rows = {name: row for name, row in result["stats"].items() if name != "Aggregated"}
    print(f"\n== {scenario.name}: " + ", ".join(f"{n} {cls}" for cls, n in scenario.users.items())
          + f", {scenario.run_s:.0f} s (load average now {os.getloadavg()[0]:.1f})")
    print(f"{'endpoint':34}{'requests':>9}{'p50 ms':>8}{'p95 ms':>8}{'p99 ms':>8}{'errors':>8}"
          f"{'app p50':>9}{'app p95':>9}")
    if scenario.reset_stats:
        print("(times and request counts after every user has started; errors over the whole run)")
    print("(p50..p99 as Locust saw them; app p50/p95: time inside Django, from the server's log, whole run)")
    failures, app = result["failures"], result["server_times"]
    for name, row in sorted(rows.items()):
        inside = (f"{_percentile(app[name], 50):9.0f}{_percentile(app[name], 95):9.0f}" if app.get(name)
                  else f"{'-':>9}{'-':>9}")
        print(f"{name:34}{row['Request Count']:>9}{_ms(row, '50%')}{_ms(row, '95%')}{_ms(row, '99%')}"
              f"{failures.get(name, 0):>8}{inside}")
    unavailable = sum(counts.get("503", 0) for counts in result["statuses"].values())
    server_errors = sum(count for counts in result["statuses"].values() for status, count in counts.items()
                        if status.isdigit() and int(status) >= 500)
    no_answer = sum(count for counts in result["statuses"].values() for status, count in counts.items()
                    if not status.isdigit())
    errors = sum(failures.values())
    print(f"errors: {errors} ({server_errors} 5xx, {no_answer} without an answer)")
    submissions = sum(1 for ack in result["drafts"] if ack["submitted"])
    print(f"acknowledged: {len(result['drafts']) - submissions} autosaves, {submissions} submissions, "
          f"{len(result['grades'])} grades; {len(result['refused_grades'])} grade saves refused as conflicts")
    kinds = ("lost drafts", "lost submissions", "versions applied twice or skipped", "lost grades",
             "conflicts applied twice", "refused saves applied", "refused saves not audited")
    held = not errors
    # Not a loss: a save in flight when its user was stopped, or answered 5xx, that the database did apply.
    print(f"  applied but not acknowledged (in flight at the end, or answered 5xx): "
          f"{len(problems.get('applied without an answer', []))}")
    if scenario.restart_at_s is not None:
        # Requests during the outage fail, cleanly: 503s, and nothing acknowledged is lost.
        print(f"  PostgreSQL stopped at {scenario.restart_at_s:.0f} s for {scenario.outage_s:.0f} s: "
              f"{unavailable} answers were 503, {server_errors - unavailable} other 5xx")
        held = server_errors == unavailable and no_answer == 0
    for kind in kinds:
        found = problems.get(kind, [])
        held &= not found
        print(f"  {kind}: {len(found)}" + (f"  e.g. {found[0]}" if found else ""))
    if scenario.check_targets:
        print(f"  target: 0 5xx: {'met' if server_errors == 0 else 'NOT MET'} ({server_errors})")
        for name in TARGET_ENDPOINTS:
            p95 = float(rows[name]["95%"]) if name in rows else float("nan")
            met = p95 < P95_TARGET_MS
            print(f"  target: {name} p95 < {P95_TARGET_MS} ms: {'met' if met else 'NOT MET'} ({p95:.0f} ms)")
    return held


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--time-scale", type=float, default=1.0,
                        help="Multiply every scenario's duration (the rush's two minutes too); 1 is the stated run.")
    parser.add_argument("--restart-postgres", action="store_true",
                        help="Add a fourth run: steady load with PostgreSQL stopped for 5 s and started again.")
    parser.add_argument("--only", action="append", choices=["steady", "deadline rush", "grading day"],
                        help="Run only this scenario (repeatable); all three by default.")
    args = parser.parse_args()
    if shutil.which("runuser") is None and os.geteuid() == 0:
        raise SystemExit("Running as root needs runuser to start PostgreSQL as the postgres user.")
    OUT.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    # The load average says how much else was running: on a shared machine it explains the figures.
    print(f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}; gunicorn with {WORKERS} sync workers; "
          "PostgreSQL in a private cluster.", flush=True)
    with private_postgres() as cluster:
        database_url = cluster.create_database("reflect_load")
        # INFO: reflect's one line per request, with the time it took inside Django.
        env = production_env(database_url, new_secret_key(), LOG_LEVEL="INFO")
        print("Migrating and loading the fixture…", flush=True)
        data = prepare_database(env, f"STUDENTS, TAS, GRADING_QUESTIONS = {STUDENTS}, {TAS}, {GRADING_QUESTIONS}\n"
                                + SETUP)
        data_path = OUT / "data.json"
        data_path.write_text(json.dumps(data))
        print(f"  {STUDENTS} students, {TAS} TAs, {GRADING_QUESTIONS} questions of submitted answers to grade "
              f"({time.monotonic() - started:.0f} s)", flush=True)
        all_held = True
        (OUT / "gunicorn.log").unlink(missing_ok=True)
        with app_server(env, workers=WORKERS, log_path=OUT / "gunicorn.log") as server:
            chosen = [s for s in scenarios(args.time_scale, args.restart_postgres)
                      if not args.only or s.name in args.only or s.restart_at_s is not None]
            for scenario in chosen:
                print(f"Running {scenario.name} for {scenario.run_s:.0f} s…", flush=True)
                restarter = restart_postgres_during(scenario, cluster)
                log_offset = (OUT / "gunicorn.log").stat().st_size
                result = run_locust(scenario, server.url, data_path, args.time_scale)
                result["server_times"] = server_times(OUT / "gunicorn.log", log_offset)
                if restarter is not None:
                    restarter.join()
                all_held &= report(scenario, result, verify(database_url, result))
    print(f"\n{'Nothing lost, no errors' if all_held else 'PROBLEMS FOUND (above)'}; "
          f"{time.monotonic() - started:.0f} s in all.")
    if not all_held:
        sys.exit(1)


if __name__ == "__main__":
    main()
