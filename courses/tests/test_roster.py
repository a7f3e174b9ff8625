"""Roster import: every layout it reads, every bad input refused with its line and nothing written, the command."""

from __future__ import annotations

import io

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command

from courses.models import Enrollment, EnrollmentStatus, Notice, NoticeKind, Role, Section
from courses.roster import Action, RosterRefused, roster_import, roster_lines, roster_parse
from courses.tests.factories import enroll, make_course, make_user

pytestmark = pytest.mark.django_db
User = get_user_model()


def _csv(text: str) -> bytes:
    return text.strip().encode("utf-8") + b"\n"


def _refused(data: bytes) -> list[str]:
    with pytest.raises(RosterRefused) as refused:
        roster_parse(data)
    return refused.value.errors


@pytest.fixture
def course():
    return make_course("ml-systems", title="ML Systems")


def _nothing_written(course, users_before: int) -> None:
    assert User.objects.count() == users_before
    assert not Enrollment.objects.filter(course=course).exists()
    assert not Section.objects.filter(course=course).exists()
    assert not Notice.objects.exists()


# Layouts ------------------------------------------------------------------------------------------------------------


def test_it_reads_its_own_columns_in_any_order_with_role_synonyms():
    rows = roster_parse(_csv("""
Email,Name,Role,Section,SIS ID,Username
ada@example.edu,Ada Lovelace,Teaching Assistant,Lab A,S1,ada
alan@example.edu,Alan Mathison Turing,student,Lab B,S2,
grace@example.edu,Grace Hopper,Instructor,,,
"""))
    assert [(r.email, r.first_name, r.last_name, r.role, r.section, r.sis_id, r.username) for r in rows] == [
        ("ada@example.edu", "Ada", "Lovelace", Role.TA, "Lab A", "S1", "ada"),
        ("alan@example.edu", "Alan Mathison", "Turing", Role.STUDENT, "Lab B", "S2", ""),
        ("grace@example.edu", "Grace", "Hopper", Role.INSTRUCTOR, "", "", ""),
    ]
    assert [r.line for r in rows] == [2, 3, 4]


def test_it_reads_canvas_gradebook_export_skipping_points_possible_and_test_student():
    rows = roster_parse(_csv("""
Student,ID,SIS User ID,SIS Login ID,Section,M01 Q1 Costs,M01 Q2 Stability
Points Possible,,,,,10,10
"Lovelace, Ada",101,S1,ada@example.edu,Lab A,9,-1
"Turing, Alan",102,S2,aturing,Lab B,,
"Student, Test",103,,,Lab A,,
"""))
    assert [(r.email, r.username, r.first_name, r.last_name, r.sis_id, r.section) for r in rows] == [
        ("ada@example.edu", "", "Ada", "Lovelace", "S1", "Lab A"),
        ("", "aturing", "Alan", "Turing", "S2", "Lab B"),
    ]
    assert all(r.role is None for r in rows)


def test_it_reads_reflects_own_canvas_export_back():
    # grading/export.py writes the username into SIS Login ID and leaves the ids blank.
    rows = roster_parse(_csv("""
Student,ID,SIS User ID,SIS Login ID,Section,M01 Q1 Costs
Points Possible,,,,,10
"Lovelace, Ada",,,ada,,7
"""))
    assert rows[0].username == "ada" and rows[0].email == "" and rows[0].sis_id == ""


@pytest.mark.parametrize("text", [
    "Ada Lovelace, ada@example.edu\nAlan Turing, alan@example.edu",
    "Name,Email\nAda Lovelace,ada@example.edu\nAlan Turing,alan@example.edu",
    "\ufeffName;Email\nAda Lovelace;ada@example.edu\nAlan Turing;alan@example.edu",
    "Name\tEmail\nAda Lovelace\tada@example.edu\nAlan Turing\talan@example.edu",
], ids=["no-header", "header", "bom-semicolon", "tab"])
def test_it_reads_a_plain_name_email_list_with_or_without_header_and_any_delimiter(text):
    rows = roster_parse(text.encode("utf-8"))
    assert [(r.email, r.first_name, r.last_name) for r in rows] == [
        ("ada@example.edu", "Ada", "Lovelace"), ("alan@example.edu", "Alan", "Turing")]


def test_it_accepts_utf8_with_bom_and_keeps_accents():
    rows = roster_parse("\ufeffname,email\nJosé Núñez,jose@example.edu\n".encode())
    assert (rows[0].first_name, rows[0].last_name) == ("José", "Núñez")


# Bad input ----------------------------------------------------------------------------------------------------------


def test_it_refuses_latin1_naming_the_line_and_the_fix(course):
    errors = _refused("name,email\nAda,ada@example.edu\nJosé Núñez,jose@example.edu\n".encode("latin-1"))
    assert errors == [
        "Line 3: the file is not UTF-8 text (it looks like Latin-1 or Windows-1252, which older Excel versions "
        "save). Save it as “CSV UTF-8 (Comma delimited)” and upload that."]


def test_it_refuses_utf16_saying_so():
    errors = _refused("name,email\nAda,ada@example.edu\n".encode("utf-16"))
    assert "UTF-16" in errors[0] and "CSV UTF-8" in errors[0]


def test_it_refuses_a_50_mb_file_before_parsing(course, settings):
    data = b"name,email\n" + b"x" * (50 * 1_048_576)
    errors = _refused(data)
    assert errors[0].startswith("The file is larger than 2 MB")


@pytest.mark.parametrize(("body", "error"), [
    ("Ada,ada@example.edu,student\nAda2,ADA@example.edu,student",
     "Line 3: ada@example.edu is already on line 2."),
    ("Ada,ada@example.edu,professor emeritus",
     "Line 2: unknown role “professor emeritus”; use student, TA or instructor."),
    ("Ada,,student", "Line 2: no e-mail address."),
    ("Ada,ada-at-example.edu,student", "Line 2: “ada-at-example.edu” is not a valid e-mail address."),
    ('"=HYPERLINK(""http://evil"")",ada@example.edu,student',
     "Line 2: “=HYPERLINK(\"http://evil\")” starts with “=”, which spreadsheets run as a formula. "
     "Remove the formula and upload the file again."),
    ("@SUM(A1),ada@example.edu,student", "Line 2: “@SUM(A1)” starts with “@”, which spreadsheets run as a formula. "
     "Remove the formula and upload the file again."),
    ("Ada,ada@example.edu,student,+1234", "Line 2: “+1234” starts with “+”, which spreadsheets run as a formula. "
     "Remove the formula and upload the file again."),
], ids=["duplicate-email", "unknown-role", "missing-email", "invalid-email", "formula-eq", "formula-at",
        "formula-plus"])
def test_it_refuses_a_bad_row_with_its_line_and_reason_and_writes_nothing(course, body, error):
    make_user("someone")
    before = User.objects.count()
    data = _csv("name,email,role,section\n" + body)
    with pytest.raises(RosterRefused) as refused:
        roster_import(course=course, data=data)
    assert error in refused.value.errors
    _nothing_written(course, before)


def test_every_bad_row_is_listed_not_only_the_first():
    errors = _refused(_csv("name,email,role\nA,a@x.edu,student\nB,bad,student\nC,c@x.edu,wizard\nD,a@x.edu,ta"))
    assert [e.split(":")[0] for e in errors] == ["Line 3", "Line 4", "Line 5"]


def test_a_semicolon_file_is_not_read_as_one_column():
    rows = roster_parse(_csv("name;email;role\nAda Lovelace;ada@example.edu;TA"))
    assert rows[0].role == Role.TA and rows[0].email == "ada@example.edu"


def test_a_header_without_email_is_refused_clearly():
    errors = _refused(_csv("first,last,phone\nAda,Lovelace,123"))
    assert errors[0].startswith("Line 1: no “email” column")


def test_an_empty_file_is_refused():
    assert _refused(b"") == ["The file is empty."]
    assert _refused(b"\xef\xbb\xbf\n\n") == ["The file is empty."]


# Planning and applying ----------------------------------------------------------------------------------------------


def test_import_creates_adds_updates_and_leaves_unchanged(course):
    existing = make_user("alan", email="alan@example.edu", first_name="Alan", last_name="Turing")
    grace = make_user("grace", email="Grace@Example.edu", first_name="Grace", last_name="Hopper")
    enroll(grace, course, Role.STUDENT)
    same = make_user("kat", email="kat@example.edu", first_name="Katherine", last_name="Johnson")
    enroll(same, course)
    data = _csv("""
name,email,role,section,sis_id
Ada Lovelace,ada@example.edu,student,Lab A,S1
Alan Turing,alan@example.edu,TA,Lab B,
Grace Hopper,grace@example.edu,student,Lab A,S3
Katherine Johnson,kat@example.edu,student,,
""")
    preview = roster_import(course=course, data=data, dry_run=True)
    assert preview.totals() == {"create": 1, "add": 1, "update": 1, "unchanged": 1, "drop": 0}
    assert preview.new_sections == ["Lab A", "Lab B"]
    assert not Section.objects.exists()  # a dry run writes nothing

    plan = roster_import(course=course, data=data)
    assert plan.digest() == preview.digest()
    ada = User.objects.get(email="ada@example.edu")
    assert ada.username == "ada" and not ada.has_usable_password()
    assert (ada.first_name, ada.last_name) == ("Ada", "Lovelace")
    rows = {e.user.username: e for e in Enrollment.objects.filter(course=course).select_related("user", "section")}
    assert (rows["ada"].role, rows["ada"].section.name, rows["ada"].sis_id) == (Role.STUDENT, "Lab A", "S1")
    assert (rows["alan"].role, rows["alan"].section.name) == (Role.TA, "Lab B")
    assert (rows["grace"].section.name, rows["grace"].sis_id) == ("Lab A", "S3")
    assert rows["kat"].section is None
    # Only the new account is invited; the existing one already has a password.
    notice = Notice.objects.get()
    assert (notice.recipient, notice.kind, notice.key) == (ada, NoticeKind.INVITATION, f"invite:{ada.pk}")
    assert notice.subject == "You're invited to ML Systems"
    assert "set-password link" in notice.body  # the live link is made when the e-mail is sent
    assert existing.enrollments.get(course=course).role == Role.TA

    again = roster_import(course=course, data=data)
    assert again.totals() == {"create": 0, "add": 0, "update": 0, "unchanged": 4, "drop": 0}
    assert Notice.objects.count() == 1


def test_derived_usernames_are_made_unique(course):
    make_user("ada", email="other@example.edu")
    roster_import(course=course, data=_csv("Ada One,ada@example.edu\nAda Two,ada@example.org\nX,ada2@example.com"))
    assert sorted(User.objects.filter(email__startswith="ada").values_list("username", flat=True)) == [
        "ada2", "ada22", "ada3"]  # ada2@… wanted "ada2", which the first row had just taken


def test_derived_usernames_avoid_numbered_names_and_names_given_in_the_file(course):
    make_user("ada2", email="x@example.edu")
    roster_import(course=course, data=_csv(
        "name,email,username\nA,ada@example.edu,\nB,ada@example.org,\nC,c@example.edu,ada3"))
    assert dict(User.objects.filter(email__in=["ada@example.edu", "ada@example.org", "c@example.edu"])
                .values_list("email", "username")) == {
        "ada@example.edu": "ada", "ada@example.org": "ada4", "c@example.edu": "ada3"}


def test_drop_missing_drops_only_active_students_never_staff(course):
    ta = make_user("ta1", email="ta1@example.edu")
    enroll(ta, course, Role.TA)
    gone = make_user("gone", email="gone@example.edu")
    enroll(gone, course)
    kept = make_user("kept", email="kept@example.edu")
    enroll(kept, course)
    data = _csv("name,email\nKept,kept@example.edu")
    plan = roster_import(course=course, data=data, dry_run=True)
    assert plan.totals()["drop"] == 0  # not asked to drop
    plan = roster_import(course=course, data=data, drop_missing=True)
    assert [p.username for p in plan.of(Action.DROP)] == ["gone"]
    statuses = dict(Enrollment.objects.filter(course=course).values_list("user__username", "status"))
    assert statuses == {"ta1": EnrollmentStatus.ACTIVE, "gone": EnrollmentStatus.DROPPED,
                        "kept": EnrollmentStatus.ACTIVE}


def test_a_dropped_student_in_the_file_is_restored(course):
    gone = make_user("gone", email="gone@example.edu")
    enrollment = enroll(gone, course)
    Enrollment.objects.filter(pk=enrollment.pk).update(status=EnrollmentStatus.DROPPED, dropped_at="2026-01-01T00:00Z")
    plan = roster_import(course=course, data=_csv("name,email\nGone,gone@example.edu"))
    assert plan.of(Action.UPDATE)[0].changes[-1] == "restored (was dropped)"
    enrollment.refresh_from_db()
    assert enrollment.status == EnrollmentStatus.ACTIVE and enrollment.dropped_at is None


def test_a_canvas_login_without_an_account_is_refused(course):
    data = _csv("Student,ID,SIS User ID,SIS Login ID,Section\n\"Doe, Jane\",1,S1,jdoe,Lab A")
    with pytest.raises(RosterRefused) as refused:
        roster_import(course=course, data=data)
    assert refused.value.errors == [
        "Line 2: no e-mail address, and no account has the login “jdoe”. Add an e-mail column."]


def test_a_username_of_another_account_is_refused(course):
    make_user("ada", email="someone.else@example.edu")
    with pytest.raises(RosterRefused) as refused:
        roster_import(course=course, data=_csv("name,email,username\nAda,ada@example.edu,ada"))
    assert refused.value.errors == [
        "Line 2: the username ada belongs to another account (not ada@example.edu)."]


def test_an_import_cant_change_the_importers_own_role(course):
    me = make_user("prof", email="prof@example.edu")
    enroll(me, course, Role.INSTRUCTOR)
    with pytest.raises(RosterRefused) as refused:
        roster_import(course=course, data=_csv("name,email,role\nProf,prof@example.edu,student"), actor=me)
    assert refused.value.errors == ["Line 2: this is you; an import can't change your own role."]


# Export -------------------------------------------------------------------------------------------------------------


def test_export_neutralises_formulas_and_imports_back_unchanged(course):
    evil = make_user("evil", email="evil@example.edu", first_name="=cmd|' /C calc'!A0", last_name="")
    enroll(evil, course)
    ada = make_user("ada", email="ada@example.edu", first_name="Ada", last_name="Lovelace")
    enrollment = enroll(ada, course, Role.TA)
    enrollment.section = Section.objects.create(course=course, name="Lab A")
    enrollment.sis_id = "S1"
    enrollment.save()
    text = "".join(roster_lines(course))
    assert text.splitlines()[0] == "name,email,username,role,section,sis_id,status"
    assert "Ada Lovelace,ada@example.edu,ada,ta,Lab A,S1,active" in text
    assert "'=cmd|' /C calc'!A0" in text
    lines = [line for line in text.splitlines() if "evil" not in line]
    plan = roster_import(course=course, data=("\n".join(lines) + "\n").encode(), dry_run=True)
    assert plan.totals()["unchanged"] == 1


# The command --------------------------------------------------------------------------------------------------------


def test_the_command_dry_run_writes_nothing_then_imports(course, tmp_path):
    path = tmp_path / "roster.csv"
    path.write_text("name,email,section\nAda Lovelace,ada@example.edu,Lab A\n", encoding="utf-8")
    out = io.StringIO()
    call_command("import_roster", str(path), "--course", course.slug, "--dry-run", stdout=out)
    assert "Dry run, nothing written: would be 1 new (invited)" in out.getvalue()
    assert "new sections: Lab A" in out.getvalue()
    assert not User.objects.filter(email="ada@example.edu").exists()
    out = io.StringIO()
    call_command("import_roster", str(path), "--course", course.slug, stdout=out)
    assert "Imported: 1 new (invited)" in out.getvalue()
    assert Enrollment.objects.filter(course=course, user__email="ada@example.edu", section__name="Lab A").exists()


def test_the_command_refuses_a_bad_file_listing_each_row(course, tmp_path):
    path = tmp_path / "roster.csv"
    path.write_text("name,email,role\nAda,ada@example.edu,wizard\nBob,bob,student\n", encoding="utf-8")
    err = io.StringIO()
    with pytest.raises(CommandError, match=r"2 problem\(s\) in roster.csv; nothing was written"):
        call_command("import_roster", str(path), "--course", course.slug, stderr=err)
    assert "Line 2: unknown role “wizard”" in err.getvalue()
    assert "Line 3: “bob” is not a valid e-mail address." in err.getvalue()
    assert not Enrollment.objects.exists()


def test_the_command_drop_missing(course, tmp_path):
    enroll(make_user("gone"), course)
    path = tmp_path / "roster.csv"
    path.write_text("Ada,ada@example.edu\n", encoding="utf-8")
    call_command("import_roster", str(path), "--course", course.slug, "--drop-missing", stdout=io.StringIO())
    assert Enrollment.objects.get(user__username="gone").status == EnrollmentStatus.DROPPED
