"""Roster import and export: read a CSV of people, plan what it changes in a course, apply it at once.

Three layouts are read: reflect's own (name, email, username, role, section, SIS id; any order,
only email or a name/login required), Canvas's gradebook export (Student, ID, SIS User ID, SIS Login
ID, Section, then assignment columns and a "Points Possible" row), and a plain "Name, Email" list
with or without a header. The whole file is refused if any row is bad: each bad row is named by its
line and reason, and nothing is written.

Cells that a spreadsheet would run as formulas (starting with =, +, -, @) are refused rather than
silently changed, so what is stored is exactly what the instructor sees in their file; the export
neutralises every text cell again through courses.csv_safety.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from enum import StrEnum

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils import timezone

from courses.accounts import invitations_send
from courses.csv_safety import is_formula, neutralise
from courses.models import STAFF_ROLES, Course, Enrollment, EnrollmentStatus, Role, Section

MAX_ERRORS_SHOWN = 50
NAME_MAX = 150  # first_name and last_name are 150 characters each in Django's user

ROLE_SYNONYMS = {
    "student": Role.STUDENT, "students": Role.STUDENT, "learner": Role.STUDENT,
    "studentenrollment": Role.STUDENT,
    "ta": Role.TA, "tas": Role.TA, "teachingassistant": Role.TA, "assistant": Role.TA, "grader": Role.TA,
    "taenrollment": Role.TA, "tutor": Role.TA,
    "instructor": Role.INSTRUCTOR, "teacher": Role.INSTRUCTOR, "professor": Role.INSTRUCTOR,
    "lecturer": Role.INSTRUCTOR, "teacherenrollment": Role.INSTRUCTOR,
}

# Normalised header text → field. "id" alone is Canvas's internal id, which is not ours to keep.
HEADER_FIELDS = {
    "name": "name", "fullname": "name", "studentname": "name", "displayname": "name",
    "firstname": "first_name", "givenname": "first_name", "first": "first_name",
    "lastname": "last_name", "surname": "last_name", "familyname": "last_name", "last": "last_name",
    "email": "email", "emailaddress": "email", "mail": "email",
    "username": "username", "login": "username", "user": "username", "loginid": "username",
    "role": "role", "type": "role",
    "section": "section", "sections": "section", "group": "section", "labgroup": "section",
    "sisid": "sis_id", "sisuserid": "sis_id", "studentid": "sis_id", "studentnumber": "sis_id",
    "status": "status",
}
CANVAS_HEADERS = ("student", "id", "sisuserid", "sisloginid", "section")
CANVAS_TEST_STUDENT = ("Student, Test", "Test Student")


def max_bytes() -> int:
    return settings.ROSTER_MAX_BYTES


class RosterRefused(Exception):
    """The file can't be imported; `errors` say why, each with its line when there is one."""

    def __init__(self, errors: list[str]):
        super().__init__("; ".join(errors[:3]))
        self.errors = errors


class PlanChanged(Exception):
    """The course changed between preview and confirm; `plan` is what the import would do now."""

    def __init__(self, plan: RosterPlan):
        super().__init__("The roster changed since the preview.")
        self.plan = plan


@dataclass(frozen=True)
class RosterRow:
    """One person as the file gives them. None means the file has no such column (keep what is stored)."""

    line: int
    email: str
    first_name: str | None = None
    last_name: str | None = None
    username: str = ""
    role: Role | None = None
    section: str | None = None
    sis_id: str | None = None

    @property
    def name(self) -> str:
        return f"{self.first_name or ''} {self.last_name or ''}".strip()


# Reading ------------------------------------------------------------------------------------------------------------


def _line_of(data: bytes, offset: int) -> int:
    return data.count(b"\n", 0, offset) + 1


def roster_decode(data: bytes) -> str:
    """The file as text, or RosterRefused saying which encoding it seems to be in."""
    if len(data) > max_bytes():
        raise RosterRefused([
            f"The file is larger than {max_bytes() // 1_048_576 or 1} MB; a roster is far smaller. "
            "Check that you chose the right file, or split it."])
    if data.startswith((b"\xff\xfe", b"\xfe\xff")) or b"\x00" in data[:4096]:
        raise RosterRefused([
            "The file is in UTF-16 (as Excel's “Unicode Text” saves it). "
            "Save it as “CSV UTF-8 (Comma delimited)” and upload that."])
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = _line_of(data, error.start)
        raise RosterRefused([
            f"Line {line}: the file is not UTF-8 text (it looks like Latin-1 or Windows-1252, which older "
            "Excel versions save). Save it as “CSV UTF-8 (Comma delimited)” and upload that."]) from None


def _dialect(text: str) -> type[csv.Dialect] | csv.Dialect:
    """Comma, semicolon or tab, whichever the first lines use; comma when in doubt."""
    sample = "\n".join(text.splitlines()[:20])
    try:
        return csv.Sniffer().sniff(sample, delimiters=",;\t")
    except csv.Error:
        pass
    first = next((line for line in text.splitlines() if line.strip()), "")
    counts = {delimiter: first.count(delimiter) for delimiter in (",", ";", "\t")}
    best = max(counts, key=lambda d: counts[d])
    if counts[best] == 0 or best == ",":
        return csv.excel
    return csv.excel_tab if best == "\t" else _Semicolon


class _Semicolon(csv.excel):
    delimiter = ";"


def _key(text: str) -> str:
    return re.sub(r"[^a-z]", "", text.lower())


def _looks_like_email(text: str) -> bool:
    return "@" in text and " " not in text.strip()


def _rows(text: str) -> Iterator[tuple[int, list[str]]]:
    """(line number, cells) for each non-empty record; the line is where the record starts."""
    reader = csv.reader(io.StringIO(text, newline=""), _dialect(text))
    line = 1
    try:
        for cells in reader:
            start, line = line, reader.line_num + 1
            cells = [cell.strip() for cell in cells]
            if any(cells):
                yield start, cells
    except csv.Error as error:
        raise RosterRefused([f"Line {reader.line_num}: {error} (a quote may be left open)."]) from None


@dataclass
class _Columns:
    index: dict[str, int]
    canvas: bool = False


def _columns(header: list[str]) -> tuple[_Columns | None, list[str]]:
    """The field of each column from a header row; None when the first row is data (a plain list)."""
    keys = [_key(cell) for cell in header]
    if any(_looks_like_email(cell) for cell in header):
        return None, []
    if tuple(keys[:5]) == CANVAS_HEADERS or {"student", "sisloginid"} <= set(keys):
        index = {"canvas_name": keys.index("student"), "username": keys.index("sisloginid")}
        for name, field_name in (("sisuserid", "sis_id"), ("section", "section")):
            if name in keys:
                index[field_name] = keys.index(name)
        return _Columns(index, canvas=True), []
    index: dict[str, int] = {}
    errors = []
    for position, key in enumerate(keys):
        field_name = HEADER_FIELDS.get(key) or ("name" if key == "student" else None)
        if field_name is None:
            continue
        if field_name in index:
            errors.append(f"Line 1: two columns are “{field_name.replace('_', ' ')}” "
                          f"(columns {index[field_name] + 1} and {position + 1}).")
        index.setdefault(field_name, position)
    if "email" not in index and "username" not in index:
        if len(header) == 2 and not errors:
            return None, []  # a plain "Name, Email" list whose first row is a person without an e-mail
        errors.append(
            "Line 1: no “email” column. The first row should name the columns "
            "(name, email, username, role, section, SIS id), or be a person's “Name, Email”.")
    return _Columns(index), errors


def _split_name(name: str, canvas: bool) -> tuple[str, str]:
    if canvas and "," in name:
        last, first = (part.strip() for part in name.split(",", 1))
        return first, last
    first, _, last = name.rpartition(" ")
    return (first, last) if first else (name, "")


def _cell(cells: list[str], columns: _Columns, name: str) -> str | None:
    position = columns.index.get(name)
    if position is None:
        return None
    return cells[position] if position < len(cells) else ""


def _row(line: int, cells: list[str], columns: _Columns, errors: list[str]) -> RosterRow | None:
    def error(message: str) -> None:
        errors.append(f"Line {line}: {message}")

    if (_cell(cells, columns, "status") or "").lower() == EnrollmentStatus.DROPPED:
        return None  # a dropped person in an exported roster stays as they are
    for position in columns.index.values():
        cell = cells[position] if position < len(cells) else ""
        if cell and is_formula(cell):
            error(f"“{cell[:40]}” starts with “{cell[0]}”, which spreadsheets run as a formula. "
                  "Remove the formula and upload the file again.")
            return None
    email = (_cell(cells, columns, "email") or "").strip()
    username = _cell(cells, columns, "username") or ""
    if columns.canvas:
        name = _cell(cells, columns, "canvas_name") or ""
        if name in CANVAS_TEST_STUDENT and not username:
            return None  # Canvas's own "Test Student", not a person
        first, last = _split_name(name, canvas=True)
        if _looks_like_email(username):
            email, username = username, ""
    else:
        name = _cell(cells, columns, "name")
        first, last = _cell(cells, columns, "first_name"), _cell(cells, columns, "last_name")
        if name is not None and first is None and last is None:
            first, last = _split_name(name, canvas=False)
    if not email and not username:
        error("no e-mail address.")
        return None
    if email:
        try:
            validate_email(email)
        except ValidationError:
            error(f"“{email[:80]}” is not a valid e-mail address.")
            return None
    if username:
        try:
            get_user_model().username_validator(username)
        except ValidationError:
            error(f"the username “{username[:40]}” may have only letters, digits and @ . + - _.")
            return None
        if len(username) > 150:
            error("the username is longer than 150 characters.")
            return None
    for label, value in (("first name", first), ("last name", last)):
        if value and len(value) > NAME_MAX:
            error(f"the {label} is longer than {NAME_MAX} characters.")
            return None
    role = None
    raw_role = _cell(cells, columns, "role")
    if raw_role:
        role = ROLE_SYNONYMS.get(_key(raw_role))
        if role is None:
            error(f"unknown role “{raw_role[:40]}”; use student, TA or instructor.")
            return None
    section = _cell(cells, columns, "section")
    if section and len(section) > Section._meta.get_field("name").max_length:
        error("the section name is longer than 100 characters.")
        return None
    sis_id = _cell(cells, columns, "sis_id")
    if sis_id and len(sis_id) > Enrollment._meta.get_field("sis_id").max_length:
        error("the SIS id is longer than 64 characters.")
        return None
    return RosterRow(line=line, email=email.lower(), first_name=first, last_name=last, username=username,
                     role=role, section=section, sis_id=sis_id)


def roster_parse(data: bytes) -> list[RosterRow]:
    """The people in a roster file, or RosterRefused listing every bad row by line."""
    text = roster_decode(data)
    records = list(_rows(text))
    if not records:
        raise RosterRefused(["The file is empty."])
    header_line, header = records[0]
    columns, errors = _columns(header)
    if columns is None:
        # No header: a "Name, Email" list (or one e-mail per line).
        columns = _Columns({"email": 0} if len(header) == 1 else {"name": 0, "email": 1})
    else:
        records = records[1:]
    rows: list[RosterRow] = []
    seen_emails: dict[str, int] = {}
    seen_usernames: dict[str, int] = {}
    for line, cells in records:
        if columns.canvas and cells[0].strip().lower().startswith("points possible"):
            continue
        row = _row(line, cells, columns, errors)
        if row is None:
            continue
        if row.email and row.email in seen_emails:
            errors.append(f"Line {line}: {row.email} is already on line {seen_emails[row.email]}.")
            continue
        if row.username and row.username.lower() in seen_usernames:
            errors.append(f"Line {line}: the username {row.username} is already on line "
                          f"{seen_usernames[row.username.lower()]}.")
            continue
        if row.email:
            seen_emails[row.email] = line
        if row.username:
            seen_usernames[row.username.lower()] = line
        rows.append(row)
    if errors:
        raise RosterRefused(errors)
    if not rows:
        raise RosterRefused(["The file has a header but nobody in it."])
    return rows


# Planning -----------------------------------------------------------------------------------------------------------


class Action(StrEnum):
    CREATE = "create"  # a new account and its enrollment
    ADD = "add"  # an existing account, newly enrolled
    UPDATE = "update"
    UNCHANGED = "unchanged"
    DROP = "drop"


@dataclass
class PlannedPerson:
    action: Action
    line: int | None
    email: str
    username: str
    first_name: str
    last_name: str
    role: Role
    section: str  # the section's name, "" for none
    sis_id: str
    user_id: int | None = None
    enrollment_id: int | None = None
    changes: list[str] = field(default_factory=list)

    @property
    def name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()


@dataclass
class RosterPlan:
    people: list[PlannedPerson]
    new_sections: list[str]
    drop_missing: bool

    def of(self, action: Action) -> list[PlannedPerson]:
        return [person for person in self.people if person.action == action]

    def totals(self) -> dict[str, int]:
        return {action.value: len(self.of(action)) for action in Action}

    def digest(self) -> str:
        """A fingerprint of what applying would do, so confirm can tell whether the course changed."""
        payload = [[p.action, p.email, p.username, p.first_name, p.last_name, p.role, p.section, p.sis_id,
                    p.user_id, p.enrollment_id] for p in self.people]
        text = json.dumps([payload, self.new_sections, self.drop_missing], sort_keys=True)
        return hashlib.sha256(text.encode()).hexdigest()


def _username_base(email: str) -> str:
    local = email.split("@", 1)[0]
    cleaned = re.sub(r"[^\w.@+-]", "", local)[:140]
    return cleaned or "user"


def _unique_usernames(bases: list[str], reserved: set[str]) -> list[str]:
    """Each base made unique against the database, `reserved` and each other: ada, ada2, ada3… (one or two queries)."""
    User = get_user_model()
    counts = Counter(base.lower() for base in bases)
    wanted = set(counts)
    taken = {name.lower() for name in reserved}
    if wanted:
        taken |= {name.lower() for name in User.objects.annotate(lower=Lower("username"))
                  .filter(lower__in=wanted).values_list("username", flat=True)}
    clashing = sorted((wanted & taken) | {base for base, count in counts.items() if count > 1})
    if clashing:
        # Only the bases already in use need their numbered variants looked up.
        pattern = "^(" + "|".join(re.escape(base) for base in clashing) + r")\d+$"
        taken |= {name.lower() for name in User.objects.filter(username__iregex=pattern)
                  .values_list("username", flat=True)}
    result = []
    for base in bases:
        candidate, n = base, 1
        while candidate.lower() in taken:
            n += 1
            candidate = f"{base}{n}"
        taken.add(candidate.lower())
        result.append(candidate)
    return result


def roster_plan(*, course: Course, rows: list[RosterRow], drop_missing: bool = False, actor=None) -> RosterPlan:
    """What importing `rows` would do to the course (four queries), or RosterRefused for rows that can't apply."""
    User = get_user_model()
    emails = [row.email for row in rows if row.email]
    logins = [row.username for row in rows if row.username]
    users = list(
        User.objects.annotate(email_lower=Lower("email"), username_lower=Lower("username"))
        .filter(Q(email_lower__in=emails) | Q(username_lower__in=[login.lower() for login in logins]))
    ) if (emails or logins) else []
    by_email: dict[str, list] = {}
    by_username: dict[str, object] = {}
    for user in users:
        if user.email:
            by_email.setdefault(user.email.lower(), []).append(user)
        by_username[user.username.lower()] = user
    enrollments = {e.user_id: e for e in Enrollment.objects.filter(course=course).select_related("section", "user")}
    sections = set(course.sections.values_list("name", flat=True))

    errors = []
    people: list[PlannedPerson] = []
    new_accounts: list[tuple[RosterRow, PlannedPerson]] = []
    matched: set[int] = set()
    for row in rows:
        user = None
        if row.email:
            candidates = by_email.get(row.email, [])
            if len(candidates) > 1:
                errors.append(f"Line {row.line}: {len(candidates)} accounts share {row.email}; "
                              "ask an administrator to merge them.")
                continue
            user = candidates[0] if candidates else None
            if user is None and row.username:
                other = by_username.get(row.username.lower())
                if other is not None:
                    errors.append(f"Line {row.line}: the username {row.username} belongs to another account "
                                  f"(not {row.email}).")
                    continue
        else:
            user = by_username.get(row.username.lower())
            if user is None:
                errors.append(f"Line {row.line}: no e-mail address, and no account has the login "
                              f"“{row.username}”. Add an e-mail column.")
                continue
        if user is not None and user.pk in matched:
            errors.append(f"Line {row.line}: this is the same account as an earlier line ({user.username}).")
            continue
        if user is None:
            person = PlannedPerson(
                action=Action.CREATE, line=row.line, email=row.email, username=row.username,
                first_name=row.first_name or "", last_name=row.last_name or "", role=row.role or Role.STUDENT,
                section=row.section or "", sis_id=row.sis_id or "")
            people.append(person)
            new_accounts.append((row, person))
            continue
        matched.add(user.pk)
        enrollment = enrollments.get(user.pk)
        first = user.first_name if row.first_name is None else row.first_name
        last = user.last_name if row.last_name is None else row.last_name
        if enrollment is None:
            people.append(PlannedPerson(
                action=Action.ADD, line=row.line, email=user.email, username=user.username, first_name=first,
                last_name=last, role=row.role or Role.STUDENT, section=row.section or "", sis_id=row.sis_id or "",
                user_id=user.pk))
            continue
        role = row.role or enrollment.role
        section = enrollment.section.name if enrollment.section else ""
        section = section if row.section is None else row.section
        sis_id = enrollment.sis_id if row.sis_id is None else row.sis_id
        changes = []
        if actor is not None and user.pk == actor.pk and role != enrollment.role:
            errors.append(f"Line {row.line}: this is you; an import can't change your own role.")
            continue
        if role != enrollment.role:
            changes.append(f"role {enrollment.get_role_display()} → {Role(role).label}")
        if section != (enrollment.section.name if enrollment.section else ""):
            changes.append(f"section “{enrollment.section or '—'}” → “{section or '—'}”")
        if sis_id != enrollment.sis_id:
            changes.append(f"SIS id “{enrollment.sis_id or '—'}” → “{sis_id or '—'}”")
        if (first, last) != (user.first_name, user.last_name):
            changes.append(f"name “{user.get_full_name() or '—'}” → “{f'{first} {last}'.strip() or '—'}”")
        if enrollment.status == EnrollmentStatus.DROPPED:
            changes.append("restored (was dropped)")
        people.append(PlannedPerson(
            action=Action.UPDATE if changes else Action.UNCHANGED, line=row.line, email=user.email,
            username=user.username, first_name=first, last_name=last, role=role, section=section, sis_id=sis_id,
            user_id=user.pk, enrollment_id=enrollment.pk, changes=changes))
    if errors:
        raise RosterRefused(errors)

    derived = [person for row, person in new_accounts if not row.username]
    explicit = {row.username for row, _person in new_accounts if row.username}
    usernames = _unique_usernames([_username_base(p.email) for p in derived], explicit)
    for person, username in zip(derived, usernames, strict=True):
        person.username = username

    if drop_missing:
        for enrollment in enrollments.values():
            if (enrollment.user_id not in matched and enrollment.role not in STAFF_ROLES
                    and enrollment.status == EnrollmentStatus.ACTIVE):
                user = enrollment.user
                people.append(PlannedPerson(
                    action=Action.DROP, line=None, email=user.email, username=user.username,
                    first_name=user.first_name, last_name=user.last_name, role=enrollment.role,
                    section=enrollment.section.name if enrollment.section else "", sis_id=enrollment.sis_id,
                    user_id=user.pk, enrollment_id=enrollment.pk))
    new_sections = sorted({p.section for p in people if p.section and p.section not in sections})
    return RosterPlan(people=people, new_sections=new_sections, drop_missing=drop_missing)


# Applying -----------------------------------------------------------------------------------------------------------


def roster_import(*, course: Course, data: bytes, drop_missing: bool = False, actor=None, dry_run: bool = False,
                  expected_digest: str | None = None) -> RosterPlan:
    """Parse, plan and (unless `dry_run`) apply a roster file in one transaction.

    Raises RosterRefused for a bad file, PlanChanged when `expected_digest` no longer matches
    (someone changed the course since the preview). New accounts get an invitation.
    """
    return roster_rows_import(course=course, rows=roster_parse(data), drop_missing=drop_missing, actor=actor,
                              dry_run=dry_run, expected_digest=expected_digest)


def roster_rows_import(*, course: Course, rows: list[RosterRow], drop_missing: bool = False, actor=None,
                       dry_run: bool = False, expected_digest: str | None = None) -> RosterPlan:
    """Plan and (unless `dry_run`) apply people already read, from a file or an LMS (courses.lti.roster_sync)."""
    with transaction.atomic():
        # One import at a time per course: the plan is made and applied under this lock.
        Course.objects.select_for_update().only("pk").get(pk=course.pk)
        plan = roster_plan(course=course, rows=rows, drop_missing=drop_missing, actor=actor)
        if expected_digest is not None and plan.digest() != expected_digest:
            raise PlanChanged(plan)
        if dry_run:
            return plan
        invitations_send(users=_apply(course, plan), course=course)
    return plan


def _apply(course: Course, plan: RosterPlan) -> list:
    User = get_user_model()
    Section.objects.bulk_create([Section(course=course, name=name) for name in plan.new_sections])
    section_ids = dict(course.sections.values_list("name", "id"))

    creating = plan.of(Action.CREATE)
    users = User.objects.bulk_create([
        User(username=p.username, email=p.email, first_name=p.first_name, last_name=p.last_name,
             password=make_password(None)) for p in creating])
    joining = [(user.pk, p) for p, user in zip(creating, users, strict=True)]
    joining += [(p.user_id, p) for p in plan.of(Action.ADD)]

    now = timezone.now()
    Enrollment.objects.bulk_create([
        Enrollment(user_id=user_id, course=course, role=p.role, section_id=section_ids.get(p.section),
                   sis_id=p.sis_id) for user_id, p in joining])

    updating = plan.of(Action.UPDATE)
    if updating:
        existing = Enrollment.objects.in_bulk([p.enrollment_id for p in updating])
        people = User.objects.in_bulk([p.user_id for p in updating])
        changed_enrollments, changed_users = [], []
        for p in updating:
            enrollment = existing[p.enrollment_id]
            enrollment.role, enrollment.sis_id = p.role, p.sis_id
            enrollment.section_id = section_ids.get(p.section)
            enrollment.status, enrollment.dropped_at = EnrollmentStatus.ACTIVE, None
            changed_enrollments.append(enrollment)
            user = people[p.user_id]
            if (user.first_name, user.last_name) != (p.first_name, p.last_name):
                user.first_name, user.last_name = p.first_name, p.last_name
                changed_users.append(user)
        Enrollment.objects.bulk_update(changed_enrollments, ["role", "sis_id", "section", "status", "dropped_at"])
        User.objects.bulk_update(changed_users, ["first_name", "last_name"])
    dropping = [p.enrollment_id for p in plan.of(Action.DROP)]
    if dropping:
        Enrollment.objects.filter(pk__in=dropping, status=EnrollmentStatus.ACTIVE).update(
            status=EnrollmentStatus.DROPPED, dropped_at=now)
    return users


# Export -------------------------------------------------------------------------------------------------------------

EXPORT_HEADER = ["name", "email", "username", "role", "section", "sis_id", "status"]


def roster_rows(course: Course, *, chunk_size: int = 2000) -> Iterator[list[str]]:
    """The course's people in the import's own layout (header first), so an export imports back unchanged."""
    yield EXPORT_HEADER
    enrollments = (
        Enrollment.objects.filter(course=course)
        .order_by("role", "user__last_name", "user__first_name", "user__username")
        .values_list("user__first_name", "user__last_name", "user__email", "user__username", "role",
                     "section__name", "sis_id", "status")
        .iterator(chunk_size=chunk_size)
    )
    for first, last, email, username, role, section, sis_id, status in enrollments:
        yield [f"{first} {last}".strip(), email, username, role, section or "", sis_id, status]


class _Echo:
    def write(self, value: str) -> str:
        return value


def roster_lines(course: Course) -> Iterator[str]:
    """The roster as CSV text, one line at a time, every text cell made inert for spreadsheets."""
    writer = csv.writer(_Echo())
    for row in roster_rows(course):
        yield writer.writerow([neutralise(cell) for cell in row])
