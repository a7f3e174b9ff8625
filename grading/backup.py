"""Back up one course into a zip archive, and restore it into a database that doesn't hold it.

The archive (format 1) is a zip of JSON-lines entries, one per model, and a manifest:

    manifest.json                   format, format_version, course, exported_at, counts, and per entry:
                                    its model, fields, row count and SHA-256
    data/auth.user.jsonl            the people the course's rows mention, with their password hashes
    data/courses.course.jsonl       then modules, questions, rubric bands, enrollments, responses,
    ...                             revisions, grades, grade events, name reveals, releases, release
                                    events, regrade requests and the comment bank, in that order

A course copied from an earlier term (Course.copied_from) points at a course the archive doesn't
hold, so its row is written with copied_from empty and the manifest's `copied_from` names the
source's slug. An import links the course to the course of that slug if the target database has
one, and otherwise leaves it unlinked: the content was copied, the link is only a note.

Rows keep their ids and timestamps, so history rows (revisions, grade events, name reveals, release
events) come back exactly as they were. Users are matched by username: one that already exists is
used as it is and never changed. Grading leases are left out: they are five-minute claims.

Both directions stream: rows are read with `.iterator()` and written a line at a time, and an
import inserts in batches, all inside one transaction, after checking every entry's hash.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import zipfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal
from pathlib import Path
from uuid import UUID

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management.color import no_style
from django.db import DatabaseError, connection, models, transaction
from django.db.migrations.recorder import MigrationRecorder
from django.utils import timezone

from courses.models import (
    Course,
    Enrollment,
    Extension,
    LtiContext,
    LtiIdentity,
    LtiKey,
    LtiLaunchValue,
    LtiPlatform,
    LtiResourceLink,
    Module,
    Notice,
    NoticePreferences,
    Question,
    Response,
    ResponseRevision,
    RubricBand,
    RubricCriterion,
    RubricVersion,
    Section,
)
from grading.models import (
    CalibrationAttempt,
    CalibrationExemplar,
    Comment,
    DoubleMarkingPolicy,
    Grade,
    GradeEvent,
    GradeRelease,
    GradingAssignment,
    GradingLease,
    LineItem,
    NameReveal,
    RegradeRequest,
    ReleaseEvent,
    ScorePost,
    SecondMark,
    SimilarityCheck,
    SimilarPair,
)

FORMAT = "reflect-course"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
BATCH = 2000
# Site-wide powers (is_superuser, groups, permissions) are not the course's to carry; is_staff is, because
# instructors author in the admin.
USER_FIELDS = ("id", "username", "password", "first_name", "last_name", "email", "is_active", "is_staff",
               "date_joined", "last_login")


class BackupError(Exception):
    """The export or import was refused; nothing was written."""


@dataclass(frozen=True)
class Part:
    """One model of the archive and the lookup from it to its course."""

    model: type[models.Model]
    course_lookup: str

    @property
    def entry(self) -> str:
        return f"data/{self.model._meta.label_lower}.jsonl"

    def rows_of(self, course: Course) -> models.QuerySet:
        return self.model._default_manager.filter(**{self.course_lookup: course.pk}).order_by("pk")


# In insertion order: every row's foreign keys point at users or at rows of an earlier part.
PARTS = (
    Part(Course, "pk"),
    Part(Module, "course"),
    Part(Question, "module__course"),
    Part(RubricBand, "question__module__course"),
    Part(RubricCriterion, "question__module__course"),
    Part(RubricVersion, "question__module__course"),
    Part(Section, "course"),
    Part(Enrollment, "course"),
    Part(Response, "question__module__course"),
    Part(ResponseRevision, "response__question__module__course"),
    Part(Extension, "course"),
    Part(Notice, "course"),
    Part(GradingAssignment, "response__question__module__course"),
    Part(Grade, "response__question__module__course"),
    Part(GradeEvent, "response__question__module__course"),
    Part(NameReveal, "response__question__module__course"),
    Part(GradeRelease, "question__module__course"),
    Part(ReleaseEvent, "question__module__course"),
    Part(RegradeRequest, "response__question__module__course"),
    Part(Comment, "question__module__course"),
    Part(DoubleMarkingPolicy, "question__module__course"),
    Part(SecondMark, "response__question__module__course"),
    Part(CalibrationExemplar, "question__module__course"),
    Part(CalibrationAttempt, "exemplar__question__module__course"),
)
# Models of courses and grading deliberately left out, with the reason (a test holds every model to one list).
EXCLUDED = {
    GradingLease: "a grader's five-minute claim on an answer means nothing after a restore",
    NoticePreferences: "a person's own settings, not part of any course",
    SimilarityCheck: "derived from the answers: a check after the restore finds the same pairs again",
    SimilarPair: "derived from the answers, and a pair may point at an earlier term's answer the archive lacks",
    # LTI: site-wide registrations and keys, and links that only mean something with them.
    LtiKey: "the site's own signing key, never exported",
    LtiPlatform: "an LMS registered for the whole site by a superuser",
    LtiIdentity: "a person's LMS identity, the site's, not a course's",
    LtiLaunchValue: "launch state that expires within the hour",
    LtiContext: "the link to a registered LMS; a restored course is linked again at an instructor's launch",
    LtiResourceLink: "part of an LtiContext (see above)",
    LineItem: "an LMS grade column of an LtiContext; made again by the next release once linked",
    ScorePost: "what was posted to an LMS column; posted again by the next release once linked",
}
USERS_ENTRY = "data/auth.user.jsonl"


@dataclass(frozen=True)
class Summary:
    course: str
    counts: dict[str, int]
    users_matched: int = 0
    users_created: int = 0


def _fields(model: type[models.Model]) -> list[str]:
    if model is get_user_model():
        return list(USER_FIELDS)
    return [field.attname for field in model._meta.concrete_fields]


def _user_fks(model: type[models.Model]) -> list[str]:
    user_model = get_user_model()
    return [f.attname for f in model._meta.concrete_fields if f.is_relation and f.related_model is user_model]


def _json_value(value):
    # Full microseconds: DjangoJSONEncoder would cut timestamps to milliseconds, and history must come back exact.
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, Decimal | UUID):
        return str(value)
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


# ---- export -------------------------------------------------------------------------------------------------


def course_export(*, slug: str, path: str | os.PathLike) -> Summary:
    """Write course `slug` with everything it holds (leases excepted) to the zip archive at `path`."""
    course = Course.objects.filter(slug=slug).first()
    if course is None:
        raise BackupError(f"No course with slug '{slug}'.")
    path = Path(path)
    partial = path.with_name(path.name + ".partial")
    try:
        with _snapshot(), zipfile.ZipFile(partial, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            entries = {USERS_ENTRY: _write_entry(archive, USERS_ENTRY, get_user_model(), _user_rows(course))}
            for part in PARTS:
                fields = _fields(part.model)
                rows = part.rows_of(course).values_list(*fields).iterator(chunk_size=BATCH)
                if part.model is Course:
                    rows = _unlinked(fields, rows)
                entries[part.entry] = _write_entry(archive, part.entry, part.model, rows)
            manifest = {
                "format": FORMAT,
                "format_version": FORMAT_VERSION,
                "course": course.slug,
                "copied_from": course.copied_from.slug if course.copied_from_id else None,
                "exported_at": timezone.now().isoformat(),
                "migrations": _latest_migrations(),
                "counts": {entry["model"]: entry["rows"] for entry in entries.values()},
                "entries": entries,
            }
            archive.writestr(MANIFEST, json.dumps(manifest, indent=2))
        # Only a complete archive takes the name: an interrupted export never looks like a backup.
        os.replace(partial, path)
    except OSError as exc:
        raise BackupError(f"Cannot write {path}: {exc.strerror or exc}.") from exc
    finally:
        partial.unlink(missing_ok=True)
    return Summary(course=course.slug, counts=manifest["counts"])


def _unlinked(fields: list[str], rows: Iterable[tuple]) -> Iterator[tuple]:
    """Course rows without `copied_from`: the earlier term is another course, outside the archive."""
    index = fields.index("copied_from_id")
    for row in rows:
        yield (*row[:index], None, *row[index + 1:])


@contextmanager
def _snapshot() -> Iterator[None]:
    """One consistent view of the course while it is read, even if people keep working on a live site."""
    outermost = not connection.in_atomic_block
    with transaction.atomic():
        if outermost and connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        yield


def _user_rows(course: Course) -> Iterator[tuple]:
    """Every user any row of the course points at: members, and graders or actors who have since left it."""
    ids: set[int] = set()
    for part in PARTS:
        for attname in _user_fks(part.model):
            ids.update(part.rows_of(course).exclude(**{attname: None}).order_by()
                       .values_list(attname, flat=True).distinct())
    ordered = sorted(ids)
    User = get_user_model()
    for start in range(0, len(ordered), BATCH):
        yield from User._default_manager.filter(pk__in=ordered[start:start + BATCH]).order_by("pk").values_list(
            *USER_FIELDS)


def _write_entry(archive: zipfile.ZipFile, name: str, model: type[models.Model], rows: Iterable[tuple]) -> dict:
    fields = _fields(model)
    digest = hashlib.sha256()
    count = 0
    info = zipfile.ZipInfo(name, date_time=timezone.localtime().timetuple()[:6])
    info.compress_type = zipfile.ZIP_DEFLATED
    with archive.open(info, "w", force_zip64=True) as raw:
        buffer = io.BytesIO()
        for row in rows:
            line = json.dumps(dict(zip(fields, row, strict=True)), ensure_ascii=False, default=_json_value)
            buffer.write(line.encode() + b"\n")
            count += 1
            if buffer.tell() > 1 << 20:
                _flush(buffer, raw, digest)
        _flush(buffer, raw, digest)
    return {"model": model._meta.label_lower, "fields": fields, "rows": count, "sha256": digest.hexdigest()}


def _flush(buffer: io.BytesIO, raw, digest) -> None:
    data = buffer.getvalue()
    raw.write(data)
    digest.update(data)
    buffer.seek(0)
    buffer.truncate()


def _latest_migrations() -> dict[str, str]:
    latest: dict[str, str] = {}
    for app, name in sorted(MigrationRecorder(connection).applied_migrations()):
        if app in {"auth", "courses", "grading"}:
            latest[app] = name
    return latest


# ---- import -------------------------------------------------------------------------------------------------


def course_import(*, path: str | os.PathLike) -> Summary:
    """Load the archive at `path`; refuse, writing nothing, if it is damaged, too new, or its course exists."""
    try:
        archive = zipfile.ZipFile(path)
    except (OSError, zipfile.BadZipFile) as exc:
        raise BackupError(f"{path} is not a reflect course archive ({exc}).") from exc
    with archive:
        manifest = _read_manifest(archive)
        _verify_entries(archive, manifest)
        slug = manifest["course"]
        if Course.objects.filter(slug=slug).exists():
            raise BackupError(f"A course with slug '{slug}' already exists in this database; nothing was imported.")
        try:
            with transaction.atomic(), _timestamps_as_given():
                return _load(archive, manifest)
        except DatabaseError as exc:
            raise BackupError(f"The database refused a row of the archive, so nothing was imported: {exc}") from exc


def _read_manifest(archive: zipfile.ZipFile) -> dict:
    try:
        manifest = json.loads(archive.read(MANIFEST))
    except KeyError as exc:
        raise BackupError("The archive has no manifest.json; it is not a reflect course archive.") from exc
    except (ValueError, zipfile.BadZipFile, OSError) as exc:
        raise BackupError(f"The archive's manifest cannot be read ({exc}).") from exc
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise BackupError("The archive's manifest does not describe a reflect course archive.")
    version = manifest.get("format_version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise BackupError(f"The archive's format version {version!r} is not one reflect knows.")
    if version > FORMAT_VERSION:
        raise BackupError(f"The archive is format version {version}, written by a newer reflect; this one reads "
                          f"up to version {FORMAT_VERSION}. Upgrade reflect, then import it.")
    entries = manifest.get("entries")
    expected = [USERS_ENTRY, *(part.entry for part in PARTS)]
    if not isinstance(entries, dict) or sorted(entries) != sorted(expected):
        raise BackupError("The archive's manifest does not list the entries of this format.")
    for name in expected:
        _check_entry_fields(name, entries[name])
    if not isinstance(manifest.get("course"), str):
        raise BackupError("The archive's manifest names no course.")
    if not isinstance(manifest.get("copied_from"), str | None):
        raise BackupError("The archive's manifest has a copied_from that is not a course's slug.")
    return manifest


def _check_entry_fields(name: str, entry: object) -> None:
    model = get_user_model() if name == USERS_ENTRY else next(p.model for p in PARTS if p.entry == name)
    if not isinstance(entry, dict) or not isinstance(entry.get("fields"), list) or not isinstance(
            entry.get("rows"), int) or not isinstance(entry.get("sha256"), str):
        raise BackupError(f"The manifest's record of {name} is malformed.")
    known = set(_fields(model))
    unknown = [field for field in entry["fields"] if field not in known]
    if unknown:
        raise BackupError(f"{name} has fields this reflect doesn't know ({', '.join(map(str, unknown))}); "
                          "it was written by a newer version.")
    if "id" not in entry["fields"]:
        raise BackupError(f"{name} has no ids.")
    for field in model._meta.concrete_fields:
        if field.attname in known and field.attname not in entry["fields"] and not (field.has_default() or field.null):
            raise BackupError(f"{name} lacks the field {field.attname}, which has no default.")


def _verify_entries(archive: zipfile.ZipFile, manifest: dict) -> None:
    """Read every entry once before writing anything: a damaged or edited archive is refused whole."""
    for name, entry in manifest["entries"].items():
        digest = hashlib.sha256()
        lines = 0
        try:
            with archive.open(name) as raw:
                while chunk := raw.read(1 << 20):
                    digest.update(chunk)
                    lines += chunk.count(b"\n")
        except KeyError as exc:
            raise BackupError(f"The archive lacks {name}, which its manifest lists.") from exc
        except (zipfile.BadZipFile, OSError, EOFError) as exc:
            raise BackupError(f"{name} in the archive is damaged ({exc}).") from exc
        if digest.hexdigest() != entry["sha256"] or lines != entry["rows"]:
            raise BackupError(f"{name} does not match the manifest's checksum or row count: the archive was damaged "
                              "or edited; nothing was imported.")


@contextmanager
def _timestamps_as_given() -> Iterator[None]:
    """Turn auto_now/auto_now_add off while importing, so created_at and updated_at keep their archived values.

    This changes the field objects for the whole process; an import runs as a management command on its own.
    """
    fields = [
        field for part in PARTS for field in part.model._meta.concrete_fields
        if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False)
    ]
    saved = [(field, field.auto_now, field.auto_now_add) for field in fields]
    for field in fields:
        field.auto_now = field.auto_now_add = False
    try:
        yield
    finally:
        for field, auto_now, auto_now_add in saved:
            field.auto_now, field.auto_now_add = auto_now, auto_now_add


def _rows(archive: zipfile.ZipFile, name: str, fields: list[str]) -> Iterator[tuple[int, dict]]:
    with archive.open(name) as raw:
        for number, line in enumerate(io.TextIOWrapper(raw, encoding="utf-8"), start=1):
            try:
                row = json.loads(line)
            except ValueError as exc:
                raise BackupError(f"{name}, line {number}: not JSON.") from exc
            if not isinstance(row, dict) or sorted(row) != sorted(fields):
                raise BackupError(f"{name}, line {number}: not the fields the manifest lists.")
            yield number, row


def _typed(model: type[models.Model], name: str, number: int, row: dict) -> dict:
    """The row's values as Python values, checked as the model's fields check them."""
    values = {}
    for field in model._meta.concrete_fields:
        if field.attname not in row:
            continue
        value = row[field.attname]
        try:
            value = field.to_python(value)
            if value is not None:
                field.run_validators(value)
            elif not field.null:
                raise ValidationError("may not be empty")
        except ValidationError as exc:
            raise BackupError(f"{name}, line {number}: {field.attname}: {'; '.join(exc.messages)}") from exc
        values[field.attname] = value
    return values


def _load(archive: zipfile.ZipFile, manifest: dict) -> Summary:
    entries = manifest["entries"]
    users, matched, created = _load_users(archive, entries[USERS_ENTRY]["fields"])
    known: dict[type[models.Model], set[int]] = {}
    counts = {get_user_model()._meta.label_lower: len(users)}
    for part in PARTS:
        model, name = part.model, part.entry
        fields = entries[name]["fields"]
        user_fks = set(_user_fks(model))
        fks = {f.attname: f.related_model for f in model._meta.concrete_fields
               if f.is_relation and f.attname not in user_fks}
        ids = known.setdefault(model, set())
        batch: list[models.Model] = []
        for number, row in _rows(archive, name, fields):
            values = _typed(model, name, number, row)
            if model is Course and "copied_from_id" in values:
                # Linked from the manifest's slug after loading; an id from another database means nothing here.
                values["copied_from_id"] = None
            for attname in user_fks & values.keys():
                if values[attname] is not None:
                    if values[attname] not in users:
                        raise BackupError(f"{name}, line {number}: {attname} names a user the archive doesn't hold.")
                    values[attname] = users[values[attname]]
            for attname, target in fks.items():
                # Every reference stays inside the archive, so an edited archive can't attach rows to another course.
                if values.get(attname) is not None and values[attname] not in known.get(target, ()):
                    raise BackupError(f"{name}, line {number}: {attname} points outside the archive.")
            if model is Course and values.get("slug") != manifest["course"]:
                raise BackupError(f"{name}, line {number}: not the course the manifest names.")
            if values["id"] in ids:
                raise BackupError(f"{name}, line {number}: id {values['id']} appears twice.")
            ids.add(values["id"])
            batch.append(model(**values))
            if len(batch) >= BATCH:
                _insert(model, batch)
                batch = []
        _insert(model, batch)
        if model is Course and len(ids) != 1:
            raise BackupError(f"{name} must hold exactly one course.")
        counts[model._meta.label_lower] = len(ids)
    if manifest.get("copied_from"):
        source = Course.objects.filter(slug=manifest["copied_from"]).exclude(slug=manifest["course"]).first()
        if source is not None:
            Course.objects.filter(slug=manifest["course"]).update(copied_from=source)
    _reset_sequences([get_user_model(), *(part.model for part in PARTS)])
    return Summary(course=manifest["course"], counts=counts, users_matched=matched, users_created=created)


def _insert(model: type[models.Model], batch: list[models.Model]) -> None:
    if not batch:
        return
    taken = list(model._default_manager.filter(pk__in=[row.pk for row in batch]).values_list("pk", flat=True)[:5])
    if taken:
        raise BackupError(
            f"This database already has {model._meta.verbose_name_plural} with ids the archive uses "
            f"({', '.join(map(str, taken))}…); import into a database without them. Nothing was imported."
        )
    # bulk_create, not save(): history rows refuse save() on a row that has an id, and one INSERT per batch is fast.
    model._default_manager.bulk_create(batch)


def _load_users(archive: zipfile.ZipFile, fields: list[str]) -> tuple[dict[int, int], int, int]:
    """Map each archived user id to a user here: the existing one with that username, or a new one."""
    User = get_user_model()
    mapping: dict[int, int] = {}
    usernames: set[str] = set()
    archived_ids: set[int] = set()
    matched = created = 0
    batch: list[tuple[int, dict]] = []

    def flush() -> None:
        nonlocal matched, created
        existing = dict(User._default_manager.filter(username__in=[v["username"] for _, v in batch])
                        .values_list("username", "pk"))
        wanted = [v["id"] for _, v in batch if v["username"] not in existing]
        taken = set(User._default_manager.filter(pk__in=wanted).values_list("pk", flat=True))
        new = []
        for _, values in batch:
            archived_id = values["id"]
            if values["username"] in existing:
                mapping[archived_id] = existing[values["username"]]
                matched += 1
                continue
            if archived_id in taken:
                values = {**values, "id": None}  # keep the person, let the database pick a free id
            new.append((archived_id, User(**values)))
        User._default_manager.bulk_create([user for _, user in new])
        for archived_id, user in new:
            mapping[archived_id] = user.pk
        created += len(new)
        batch.clear()

    for number, row in _rows(archive, USERS_ENTRY, fields):
        values = _typed(User, USERS_ENTRY, number, row)
        if values["id"] in archived_ids or values["username"] in usernames:
            raise BackupError(f"{USERS_ENTRY}, line {number}: a user appears twice.")
        archived_ids.add(values["id"])
        usernames.add(values["username"])
        batch.append((number, values))
        if len(batch) >= BATCH:
            flush()
    if batch:
        flush()
    return mapping, matched, created


def _reset_sequences(model_list: list[type[models.Model]]) -> None:
    """After inserting explicit ids, move PostgreSQL's id sequences past them (SQLite needs nothing)."""
    statements = connection.ops.sequence_reset_sql(no_style(), model_list)
    if statements:
        with connection.cursor() as cursor:
            for statement in statements:
                cursor.execute(statement)
