"""Copying a course to a new term: content and settings come along, people and their work never do."""

from __future__ import annotations

import datetime
import zoneinfo
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command

from courses.copy import CopyError, course_copy
from courses.models import (
    Course,
    Enrollment,
    Extension,
    Lab,
    LatePolicy,
    Module,
    Notice,
    NoticeKind,
    Question,
    Response,
    Role,
    RubricBand,
    Section,
)
from courses.signals import course_copied
from courses.tests.factories import make_module, make_question, make_response, make_user
from grading.models import Comment, Grade, GradeRelease, GradingAssignment, RegradeRequest
from grading.services import comment_add
from grading.tests.helpers import graded_and_released

User = get_user_model()
LONDON = zoneinfo.ZoneInfo("Europe/London")
SIXTEEN_WEEKS = datetime.timedelta(weeks=16)


def london(*args) -> datetime.datetime:
    return datetime.datetime(*args, tzinfo=LONDON)


@pytest.fixture
def term(world):
    """The world's course as a whole term: settings, a draft module, dates, penalties, labs, sections, a comment
    bank, and people with answers, grades, a release, a regrade, an extension, a notice and an assignment."""
    course = world.course
    Course.objects.filter(pk=course.pk).update(
        description="Read **everything**.", regrade_window_days=10, time_zone="Europe/London",
        default_late_policy=LatePolicy.PENALTY, join_code="ABCD-EFGH", join_enabled=True,
        join_email_domains="example.edu\nstudent.example.edu")
    course.refresh_from_db()
    Module.objects.filter(pk=world.module.pk).update(summary="What ReLU *costs*.", reflection_intro="Answer all three.",
                                                     reflection_summary="💡 Memory, not FLOPs.")
    # Summer time in October, winter time sixteen weeks later.
    Question.objects.filter(pk=world.question.pk).update(
        opens_at=london(2026, 10, 1, 9, 0), due_at=london(2026, 10, 20, 23, 59), late_policy=LatePolicy.PENALTY,
        late_penalty_per_day=5, late_penalty_cap=30, lab=Lab.COST, min_words=120, max_words=250, points=10)
    draft = make_module(course, 2, slug="softmax", title="Softmax", summary="Stability.", is_published=False)
    make_question(draft, 1, grade_id="softmax_cost", title="Softmax cost", lab=Lab.STABILITY,
                  late_policy=LatePolicy.ACCEPT_LATE, due_at=london(2026, 11, 3, 17, 0),
                  bands=[("ALL", 0, 10, "Everything.")])
    make_question(draft, 2, grade_id="undated", title="Undated")
    lab_a = Section.objects.create(course=course, name="Lab A")
    Section.objects.create(course=course, name="Lab B")
    Enrollment.objects.filter(user=world.student, course=course).update(section=lab_a, sis_id="S-001")
    comment_add(question=world.question, actor=world.ta, text="Name the **memory traffic**.")
    comment_add(question=world.question, actor=world.ta, text="Compare with exponentials.")
    graded_and_released(world)
    RegradeRequest.objects.create(response=world.response, reason="Cost.", score_before=7)
    Extension.objects.create(course=course, question=world.question, student=world.student,
                             granted_by=world.instructor, due_at=london(2026, 10, 25, 23, 59), reason="Illness")
    Notice.objects.create(recipient=world.student, course=course, kind=NoticeKind.GRADES_RELEASED,
                          key="test:copy", subject="Grades released", body="See them.")
    GradingAssignment.objects.create(response=world.other_response, grader=world.ta, assigned_by=world.instructor)
    return world


def copy_of(world, slug: str = "ml-systems-2027", **kwargs) -> Course:
    kwargs.setdefault("shift", SIXTEEN_WEEKS)
    kwargs.setdefault("clear_deadlines", False)
    return course_copy(source=world.course, slug=slug, title="ML Systems 2027", actor=world.instructor, **kwargs)


def _rows(model, course: Course, lookup: str, exclude: set[str]) -> list[dict]:
    fields = [f.attname for f in model._meta.concrete_fields if f.attname not in exclude]
    return list(model.objects.filter(**{lookup: course}).order_by("pk").values(*fields))


# ---- the service ---------------------------------------------------------------------------------------------


def test_modules_questions_and_bands_are_copied_field_by_field(term):
    copy = copy_of(term)
    assert _rows(Module, copy, "course", {"id", "course_id"}) == _rows(Module, term.course, "course",
                                                                       {"id", "course_id"})
    assert [(m.slug, m.is_published, m.summary) for m in copy.modules.order_by("number")] == [
        ("activations", True, "What ReLU *costs*."), ("softmax", False, "Stability.")]
    skip = {"id", "module_id", "opens_at", "due_at"}
    source_questions = _rows(Question, term.course, "module__course", skip)
    assert _rows(Question, copy, "module__course", skip) == source_questions
    assert len(source_questions) == 3
    assert {(q["grade_id"], q["lab"], q["late_policy"], q["late_penalty_per_day"], q["late_penalty_cap"])
            for q in source_questions} >= {("q1", Lab.COST, LatePolicy.PENALTY, 5, 30)}
    band_skip = {"id", "question_id"}
    assert _rows(RubricBand, copy, "question__module__course", band_skip) == _rows(
        RubricBand, term.course, "question__module__course", band_skip)
    # Each band hangs on the copy of its own question.
    for question in Question.objects.filter(module__course=copy):
        original = Question.objects.get(module__course=term.course, grade_id=question.grade_id,
                                        module__slug=question.module.slug)
        assert question.band_specs() == original.band_specs()


def test_course_settings_are_copied_and_the_join_code_is_not(term):
    copy = copy_of(term)
    assert (copy.title, copy.description, copy.regrade_window_days, copy.time_zone, copy.default_late_policy,
            copy.join_email_domains) == ("ML Systems 2027", "Read **everything**.", 10, "Europe/London",
                                         LatePolicy.PENALTY, "example.edu\nstudent.example.edu")
    assert copy.join_code == "" and copy.join_enabled is False
    assert copy.copied_from == term.course
    assert list(term.course.copies.all()) == [copy]


def test_no_people_or_their_work_are_copied_and_the_actor_teaches_the_copy(term):
    before = {model: model.objects.count() for model in (Response, Grade, GradeRelease, RegradeRequest, Extension,
                                                         Notice, GradingAssignment, User)}
    copy = copy_of(term)
    assert list(Enrollment.objects.filter(course=copy).values_list("user__username", "role", "section", "sis_id")) == [
        ("instructor", Role.INSTRUCTOR, None, "")]
    assert not Response.objects.filter(question__module__course=copy).exists()
    assert not Grade.objects.filter(response__question__module__course=copy).exists()
    assert not GradeRelease.objects.filter(question__module__course=copy).exists()
    assert not Extension.objects.filter(course=copy).exists()
    assert not Notice.objects.filter(course=copy).exists()
    assert {model: model.objects.count() for model in before} == before


def test_sections_are_copied_by_name_without_their_members(term):
    copy = copy_of(term)
    assert list(copy.sections.values_list("name", flat=True)) == ["Lab A", "Lab B"]
    assert not Enrollment.objects.filter(section__course=copy).exists()


def test_the_comment_bank_is_copied_through_the_signal(term):
    copy = copy_of(term)
    copied = Comment.objects.filter(question__module__course=copy).select_related("question")
    assert [(c.question.grade_id, c.text, c.created_by) for c in copied] == [
        ("q1", "Name the **memory traffic**.", term.instructor), ("q1", "Compare with exponentials.", term.instructor)]
    # The source's bank is untouched, and the copy came from grading's receiver, not from courses.
    assert Comment.objects.filter(question=term.question, created_by=term.ta).count() == 2
    assert course_copied.disconnect(dispatch_uid="grading.copy_comment_bank")
    try:
        again = copy_of(term, slug="without-grading")
    finally:
        from grading import receivers
        course_copied.connect(receivers.copy_comment_bank, dispatch_uid="grading.copy_comment_bank")
    assert not Comment.objects.filter(question__module__course=again).exists()


def test_dates_move_by_the_offset_on_the_course_clock_across_summer_time(term):
    copy = copy_of(term)
    moved = Question.objects.get(module__course=copy, grade_id="q1")
    # 20 October 23:59 BST plus sixteen weeks is 9 February 23:59 GMT: 23:59 on the course's clock, not 22:59.
    assert moved.due_at.astimezone(LONDON) == london(2027, 2, 9, 23, 59)
    assert moved.opens_at.astimezone(LONDON) == london(2027, 1, 21, 9, 0)
    assert Question.objects.get(module__course=copy, grade_id="undated").due_at is None
    days = copy_of(term, slug="days", shift=datetime.timedelta(days=-3))
    assert Question.objects.get(module__course=days, grade_id="softmax_cost").due_at == london(2026, 10, 31, 17, 0)


def test_cleared_dates_leave_every_question_without_opening_or_deadline(term):
    copy = copy_of(term, shift=None, clear_deadlines=True)
    assert not Question.objects.filter(module__course=copy).exclude(opens_at=None, due_at=None).exists()
    assert Question.objects.filter(module__course=term.course).exclude(due_at=None).count() == 2


def _everything() -> dict:
    return {model: model.objects.count() for model in (Course, Module, Question, RubricBand, Section, Enrollment,
                                                       Comment)}


@pytest.mark.parametrize("slug, title, shift, clear, message", [
    ("other-course", "T", SIXTEEN_WEEKS, False, "“other-course” already exists"),
    ("ml-systems", "T", SIXTEEN_WEEKS, False, "“ml-systems” already exists"),
    ("not a slug!", "T", SIXTEEN_WEEKS, False, "is not a course address"),
    ("x" * 51, "T", SIXTEEN_WEEKS, False, "at most 50 characters"),
    ("fine", "   ", SIXTEEN_WEEKS, False, "Give the new course a title"),
    ("fine", "T", None, False, "Either shift the deadlines or clear them"),
    ("fine", "T", SIXTEEN_WEEKS, True, "Either shift the deadlines or clear them"),
    ("fine", "T", datetime.timedelta(days=4000), False, "at most 3650 days"),
])
def test_bad_requests_are_refused_with_a_message_and_write_nothing(term, slug, title, shift, clear, message):
    before = _everything()
    with pytest.raises(CopyError, match=message):
        course_copy(source=term.course, slug=slug, title=title, actor=term.instructor, shift=shift,
                    clear_deadlines=clear)
    assert _everything() == before


def test_a_failure_late_in_the_copy_leaves_nothing_behind(term):
    def refuse(sender, **kwargs):
        raise RuntimeError("a receiver failed")

    before = _everything()
    course_copied.connect(refuse, dispatch_uid="test.refuse")
    try:
        with pytest.raises(RuntimeError):
            copy_of(term)
    finally:
        course_copied.disconnect(dispatch_uid="test.refuse")
    assert _everything() == before


# ---- the page ------------------------------------------------------------------------------------------------


def url(world) -> str:
    return f"/manage/{world.course.slug}/copy/"


def form_data(**changes) -> dict:
    return {"slug": "ml-systems-2027", "title": "ML Systems 2027", "deadlines": "shift", "shift_days": "112",
            **changes}


def test_the_page_says_what_will_be_copied(client, term):
    client.force_login(term.instructor)
    page = client.get(url(term)).content.decode()
    for text in ("<strong>2</strong> modules", "<strong>3</strong> questions (1 without a deadline)",
                 "<strong>11</strong> rubric bands", "<strong>2</strong> sections",
                 "<strong>2</strong> comment-bank comments", "Europe/London",
                 "first Tue 20 Oct 2026, 23:59 BST, last Tue 3 Nov 2026, 17:00 GMT"):
        assert text in page, text
    assert 'id="copy-preview"' not in page  # nothing to confirm before a preview


def test_a_preview_shows_the_new_deadlines_and_a_copy_button(client, term):
    client.force_login(term.instructor)
    page = client.get(url(term), form_data()).content.decode()
    assert 'id="copy-preview"' in page
    assert '<strong id="new-first-due">Tue 9 Feb 2027, 23:59 GMT</strong>' in page
    assert '<strong id="new-last-due">Tue 23 Feb 2027, 17:00 GMT</strong>' in page
    assert 'name="shift_days" value="112"' in page and "Copy the course</button>" in page
    cleared = client.get(url(term), form_data(deadlines="clear", shift_days="")).content.decode()
    assert "Every opening time and deadline will be cleared" in cleared
    assert not Course.objects.filter(slug="ml-systems-2027").exists()


def test_posting_copies_and_opens_the_new_course_manage_area(client, term):
    client.force_login(term.instructor)
    response = client.post(url(term), form_data())
    assert response.status_code == 302 and response["Location"] == "/manage/ml-systems-2027/settings/"
    copy = Course.objects.get(slug="ml-systems-2027")
    assert copy.copied_from == term.course and copy.modules.count() == 2
    page = client.get(response["Location"]).content.decode()
    assert "Copied ML Systems to ML Systems 2027." in page


@pytest.mark.parametrize("changes, message", [
    ({"slug": "other-course"}, "already exists"),
    ({"slug": "Not a slug"}, "Enter a valid"),
    ({"title": ""}, "This field is required"),
    ({"shift_days": ""}, "Give the number of days"),
    ({"shift_days": "4000"}, "less than or equal to 3650"),
    ({"deadlines": "sometimes"}, "Select a valid choice"),
])
def test_bad_input_is_shown_and_nothing_is_copied(client, term, changes, message):
    client.force_login(term.instructor)
    before = _everything()
    response = client.post(url(term), form_data(**changes))
    assert response.status_code == 400
    assert message in response.content.decode() and "Nothing was copied" in response.content.decode()
    assert _everything() == before


def test_a_ta_may_not_copy_and_a_student_does_not_see_the_page(client, term):
    client.force_login(term.ta)
    assert client.get(url(term)).status_code == 403
    assert client.post(url(term), form_data()).status_code == 403
    client.force_login(term.student)
    assert client.get(url(term)).status_code == 404
    assert not Course.objects.filter(slug="ml-systems-2027").exists()


def _add_students(course: Course, count: int) -> None:
    users = User.objects.bulk_create(User(username=f"s{i:04d}", email=f"s{i}@example.edu") for i in range(count))
    Enrollment.objects.bulk_create(Enrollment(user=u, course=course, role=Role.STUDENT) for u in users)
    for user in users[:5]:
        make_response(user, Question.objects.filter(module__course=course).first())


@pytest.mark.parametrize("students", [10, 200])
def test_the_preview_query_count_does_not_grow_with_students(client, term, students, django_assert_num_queries):
    _add_students(term.course, students)
    client.force_login(term.instructor)
    # session, user, staff enrollment with its course, the slug's uniqueness, modules and sections counted,
    # questions and their deadlines, bands counted, comment bank counted (grading's receiver)
    with django_assert_num_queries(8):
        assert client.get(url(term), form_data()).status_code == 200


@pytest.mark.parametrize("students", [10, 200])
def test_the_copy_query_count_does_not_grow_with_students(client, term, students, django_assert_num_queries):
    _add_students(term.course, students)
    client.force_login(term.instructor)
    # session, user, staff enrollment with its course, the form's slug check, the service's slug check,
    # savepoint, course insert, modules read, modules insert, questions read, questions insert, bands read,
    # bands insert, criteria read (none here, so none inserted), section names read, sections insert,
    # instructor's enrollment insert, comments read and inserted (grading's receiver), release savepoint;
    # no query reads a student
    with django_assert_num_queries(20):
        assert client.post(url(term), form_data()).status_code == 302


# ---- the command ---------------------------------------------------------------------------------------------


def test_the_command_copies_with_shifted_or_cleared_dates(term):
    out = StringIO()
    call_command("copy_course", "--from", "ml-systems", "--to", "spring", "--title", "Spring", "--shift-days", "112",
                 stdout=out)
    assert "Copied 'ml-systems' to 'spring': 2 modules, 3 questions, 2 sections" in out.getvalue()
    spring = Course.objects.get(slug="spring")
    assert spring.copied_from == term.course
    assert spring.enrollments.get().user == term.instructor
    assert Question.objects.get(module__course=spring, grade_id="q1").due_at == london(2027, 2, 9, 23, 59)
    call_command("copy_course", "--from", "ml-systems", "--to", "blank", "--title", "Blank", "--clear-deadlines",
                 "--instructor", "ta", stdout=StringIO())
    blank = Course.objects.get(slug="blank")
    assert not Question.objects.filter(module__course=blank).exclude(due_at=None).exists()
    assert blank.enrollments.get().user == term.ta


@pytest.mark.parametrize("argv, message", [
    (["--from", "nope", "--to", "x", "--title", "X", "--shift-days", "1"], "No course with slug 'nope'"),
    (["--from", "ml-systems", "--to", "other-course", "--title", "X", "--shift-days", "1"], "already exists"),
    (["--from", "ml-systems", "--to", "x", "--title", "X", "--shift-days", "99999999"], "at most 3650 days"),
    (["--from", "ml-systems", "--to", "x", "--title", "X", "--clear-deadlines", "--instructor", "ghost"],
     "No user 'ghost'"),
])
def test_the_command_refuses_bad_requests_and_writes_nothing(term, argv, message):
    before = _everything()
    with pytest.raises(CommandError, match=message):
        call_command("copy_course", *argv, stdout=StringIO())
    assert _everything() == before


def test_the_command_needs_an_instructor_when_the_course_has_none(term):
    Enrollment.objects.filter(course=term.course, role=Role.INSTRUCTOR).delete()
    make_user("nobody")
    with pytest.raises(CommandError, match="has no instructor"):
        call_command("copy_course", "--from", "ml-systems", "--to", "x", "--title", "X", "--clear-deadlines")
