"""Extensions: granted and revoked on the Manage page (append-only), refused with a message and nothing
written, followed everywhere a student meets their deadline, and late flags recomputed when they change."""

from __future__ import annotations

import zoneinfo
from datetime import UTC, datetime, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from courses.extensions import ExtensionError, extension_grant, extension_revoke
from courses.models import Enrollment, Extension, LatePolicy, Response, Section
from courses.tests.factories import enroll, make_course, make_module, make_question, make_response, make_user, words

NOW = timezone.now().replace(second=0, microsecond=0)
PAST_DUE = NOW - timedelta(hours=5)


@pytest.fixture
def late(world):
    """The question was due five hours ago (reject policy); the student's answer came in two hours late."""
    world.question.due_at = PAST_DUE
    world.question.save()
    Response.objects.filter(pk=world.response.pk).update(
        submitted_at=PAST_DUE + timedelta(hours=2), is_late=True, late_seconds=7200)
    return world


def _page(world) -> str:
    return reverse("extensions:extensions", args=[world.course.slug])


def _form(world, **changes) -> dict:
    data = {"student": world.student.username, "section": "", "question": world.question.pk, "module": "",
            "due_at": (NOW + timedelta(days=2)).strftime("%Y-%m-%dT%H:%M"), "reason": "Illness, with a note"}
    return data | changes


# The service ------------------------------------------------------------------------------------------------------


def test_granting_to_a_student_records_who_what_when_why_and_clears_their_late_flag(late):
    outcome = extension_grant(course=late.course, granted_by=late.instructor, due_at=NOW + timedelta(days=1),
                              reason="  Hospital  visit ", student=late.student, question=late.question)
    extension = Extension.objects.get()
    assert (extension.student, extension.question, extension.granted_by, extension.reason) == (
        late.student, late.question, late.instructor, "Hospital visit")
    assert (outcome.students, outcome.reflagged) == (1, 1)
    response = Response.objects.get(pk=late.response.pk)
    assert (response.is_late, response.late_seconds) == (False, None)


def test_revoking_adds_a_row_and_the_answer_is_late_again(late):
    extension_grant(course=late.course, granted_by=late.instructor, due_at=NOW + timedelta(days=1), reason="r",
                    student=late.student, question=late.question)
    extension_revoke(course=late.course, granted_by=late.instructor, reason="Granted by mistake",
                     student=late.student, question=late.question)
    assert list(Extension.objects.order_by("id").values_list("due_at", flat=True))[1] is None
    assert Extension.objects.count() == 2
    response = Response.objects.get(pk=late.response.pk)
    assert (response.is_late, response.late_seconds) == (True, 7200)


def test_a_shorter_extension_still_counts_lateness_from_the_new_deadline(late):
    extension_grant(course=late.course, granted_by=late.instructor, due_at=PAST_DUE + timedelta(hours=1),
                    reason="r", student=late.student, question=late.question)
    response = Response.objects.get(pk=late.response.pk)
    assert (response.is_late, response.late_seconds) == (True, 3600)


def test_a_section_extension_on_a_module_reaches_the_sections_students_only(late):
    lab = Section.objects.create(course=late.course, name="Lab A")
    Enrollment.objects.filter(user=late.student, course=late.course).update(section=lab)
    Response.objects.filter(pk=late.other_response.pk).update(
        submitted_at=PAST_DUE + timedelta(hours=1), is_late=True, late_seconds=3600)
    second = make_question(late.module, 2, due_at=PAST_DUE)
    second_answer = make_response(late.student, second, at=PAST_DUE + timedelta(minutes=1), is_late=True)
    outcome = extension_grant(course=late.course, granted_by=late.instructor, due_at=NOW + timedelta(days=1),
                              reason="Lab trip", section=lab, module=late.module)
    assert (outcome.students, outcome.reflagged) == (1, 2)
    assert not Response.objects.get(pk=late.response.pk).is_late
    assert not Response.objects.get(pk=second_answer.pk).is_late
    assert Response.objects.get(pk=late.other_response.pk).is_late  # not in the section


def test_drafts_are_left_alone(late):
    draft = make_response(late.student, make_question(late.module, 2, due_at=PAST_DUE), submitted=False)
    extension_grant(course=late.course, granted_by=late.instructor, due_at=NOW + timedelta(days=1), reason="r",
                    student=late.student, module=late.module)
    draft.refresh_from_db()
    assert (draft.is_late, draft.late_seconds, draft.status) == (False, None, "draft")


def _refusals(world):
    other = world.other_course
    other_section = Section.objects.create(course=other, name="Elsewhere")
    other_question = make_question(make_module(other))
    stranger = make_user("stranger")
    enroll(stranger, make_course("third"))
    opens = NOW + timedelta(days=3)
    world.question.opens_at = opens
    world.question.due_at = opens + timedelta(days=7)
    world.question.save()
    base = {"course": world.course, "granted_by": world.instructor, "due_at": NOW + timedelta(days=5),
            "reason": "r", "student": world.student, "question": world.question}
    return [
        (base | {"student": stranger}, "is not a student in this course"),
        (base | {"student": world.ta}, "is not a student in this course"),
        (base | {"student": None, "section": other_section}, "section belongs to another course"),
        (base | {"question": other_question}, "question belongs to another course"),
        (base | {"due_at": opens - timedelta(hours=1)}, "must be after Q1 opens"),
        (base | {"reason": "   "}, "Give a reason"),
        (base | {"reason": "x" * 501}, "at most 500"),
        (base | {"section": Section.objects.create(course=world.course, name="A")}, "one student or one section"),
        (base | {"student": None}, "one student or one section"),
        (base | {"module": world.module}, "one question or one whole module"),
        (base | {"due_at": datetime(2030, 1, 1)}, "needs a time zone"),
    ]


def test_every_refusal_says_why_and_writes_nothing(world):
    for kwargs, message in _refusals(world):
        with pytest.raises(ExtensionError) as refused:
            extension_grant(**kwargs)
        assert message in refused.value.message
    assert not Extension.objects.exists()


# The page ---------------------------------------------------------------------------------------------------------


def test_an_instructor_grants_on_the_page_in_the_courses_time_zone(client, late):
    late.course.time_zone = "America/New_York"
    late.course.save()
    client.force_login(late.instructor)
    answer = client.post(_page(late), _form(late, due_at="2030-12-01T23:59"), follow=True)
    extension = Extension.objects.get()
    assert extension.due_at == datetime(2030, 12, 1, 23, 59, tzinfo=zoneinfo.ZoneInfo("America/New_York"))
    html = answer.content.decode()
    assert "Extension granted" in html and "1 submitted answer re-checked" in html
    assert "Sun 1 Dec 2030, 23:59 EST" in html and "Illness, with a note" in html
    assert not Response.objects.get(pk=late.response.pk).is_late


@pytest.mark.parametrize(("changes", "message"), [
    ({"reason": ""}, "Give a reason"),
    ({"due_at": ""}, "Give the new deadline"),
    ({"due_at": "tomorrow-ish"}, "Enter a valid date/time"),
    ({"student": "nobody"}, "No student “nobody” in this course"),
    ({"student": "ta"}, "No student “ta” in this course"),
    ({"student": ""}, "Choose one student or one section"),
    ({"question": ""}, "Choose one question or one whole module"),
    ({"question": "999999"}, "That question is not one of this course"),
    ({"module": "1", "question": ""}, None),  # filled below: another course's module
    ({"section": "999999", "student": ""}, "That section is not one of this course"),
    ({"reason": "a\x00b"}, None),
])
def test_bad_input_on_the_page_is_refused_with_a_message_and_writes_nothing(client, late, changes, message):
    if "module" in changes:
        changes = changes | {"module": make_module(late.other_course).pk}
        message = "That module is not one of this course"
    client.force_login(late.instructor)
    answer = client.post(_page(late), _form(late, **changes))
    assert answer.status_code == 400
    if message:
        assert message in answer.content.decode()
    assert not Extension.objects.exists()
    assert Response.objects.get(pk=late.response.pk).is_late


def test_a_deadline_before_the_question_opens_is_refused_on_the_page(client, world):
    world.question.opens_at = NOW + timedelta(days=10)
    world.question.save()
    client.force_login(world.instructor)
    answer = client.post(_page(world), _form(world))
    assert answer.status_code == 400 and "must be after Q1 opens" in answer.content.decode()
    assert not Extension.objects.exists()


def test_the_page_lists_every_extension_newest_first_with_a_page_at_a_time(client, world):
    for n in range(55):
        Extension.objects.create(course=world.course, student=world.student, question=world.question,
                                 due_at=NOW + timedelta(days=1), reason=f"reason {n:02d}", granted_by=world.instructor,
                                 created_at=NOW + timedelta(minutes=n))
    client.force_login(world.ta)
    first = client.get(_page(world)).content.decode()
    assert "Granted (55)" in first and first.index("reason 54") < first.index("reason 53")
    assert "reason 04" not in first and 'rel="next"' in first
    assert "reason 04" in client.get(_page(world) + "?page=2").content.decode()
    assert 'id="extension-form"' not in first and "Revoke" not in first  # TAs read


def test_revoking_on_the_page_keeps_the_grant_and_adds_a_row(client, late):
    client.force_login(late.instructor)
    client.post(_page(late), _form(late))
    granted = Extension.objects.get()
    refused = client.post(reverse("extensions:revoke", args=[late.course.slug, granted.pk]), {"reason": ""},
                          follow=True)
    assert "Give a reason" in refused.content.decode() and Extension.objects.count() == 1
    client.post(reverse("extensions:revoke", args=[late.course.slug, granted.pk]), {"reason": "Mistake"})
    assert list(Extension.objects.order_by("id").values_list("due_at", flat=True)) == [granted.due_at, None]
    assert Response.objects.get(pk=late.response.pk).is_late


@pytest.mark.parametrize("students", [10, 200])
def test_the_page_costs_the_same_queries_whatever_the_roster(client, world, django_assert_num_queries, students):
    lab = Section.objects.create(course=world.course, name="Lab A")
    for n in range(students):
        student = make_user(f"s{students}-{n}")
        Enrollment.objects.create(user=student, course=world.course, section=lab)
        Extension.objects.create(course=world.course, student=student, question=world.question,
                                 due_at=NOW + timedelta(days=1), reason="r", granted_by=world.instructor)
    Extension.objects.create(course=world.course, section=lab, module=world.module, due_at=None, reason="r",
                             granted_by=world.instructor)
    client.force_login(world.instructor)
    # session, user, enrollment+course, count of extensions, a page of them with student, section, question and
    # module, granter; the form's sections, questions with modules, modules
    with django_assert_num_queries(8):
        assert client.get(_page(world)).status_code == 200
    client.force_login(world.ta)
    with django_assert_num_queries(5):  # the same without the form
        assert client.get(_page(world)).status_code == 200


# The student's side -----------------------------------------------------------------------------------------------


def _extend(world, days: float = 1):
    return extension_grant(course=world.course, granted_by=world.instructor, due_at=NOW + timedelta(days=days),
                           reason="r", student=world.student, question=world.question)


def test_an_extended_student_submits_after_the_original_deadline_and_is_not_late(client, late):
    _extend(late)
    client.force_login(late.student)
    page = client.get(reverse("courses:question", args=[late.question.pk])).content.decode()
    assert "extended" in page and "read-only" not in page
    client.post(reverse("courses:answer_submit", args=[late.question.pk]), {"text": words(180), "version": 1})
    response = Response.objects.get(pk=late.response.pk)
    assert response.submitted_word_count == 180 and (response.is_late, response.late_seconds) == (False, None)
    # Without one, the same is refused.
    client.force_login(late.other_student)
    refused = client.post(reverse("courses:answer_submit", args=[late.question.pk]),
                          {"text": words(180), "version": 1}, follow=True)
    assert refused.redirect_chain[-1][1] == 302 and "has passed" in refused.content.decode()


def test_late_seconds_count_from_the_extension_under_a_policy_that_takes_late_work(client, late):
    late.question.late_policy = LatePolicy.ACCEPT_LATE
    late.question.save()
    extension_grant(course=late.course, granted_by=late.instructor, due_at=NOW - timedelta(hours=1), reason="r",
                    student=late.student, question=late.question)
    client.force_login(late.student)
    client.post(reverse("courses:answer_submit", args=[late.question.pk]), {"text": words(181), "version": 1})
    response = Response.objects.get(pk=late.response.pk)
    # Counted from the extension's deadline (NOW is fixed when the module loads, so measure against the submission).
    since_extension = (response.submitted_at - (NOW - timedelta(hours=1))).total_seconds()
    assert response.is_late and response.late_seconds >= 3600 and abs(response.late_seconds - since_extension) <= 1


def test_due_next_module_and_response_pages_show_the_extended_deadline(client, late):
    new_question = make_question(late.module, 2, due_at=PAST_DUE)  # unsubmitted, original deadline gone
    extension_grant(course=late.course, granted_by=late.instructor, due_at=NOW + timedelta(days=2), reason="r",
                    student=late.student, module=late.module)
    client.force_login(late.student)
    dashboard = client.get("/")
    assert [q.pk for q in dashboard.context["due_soon"]] == [new_question.pk]
    assert "extended" in dashboard.content.decode()
    module = client.get(reverse("courses:module", args=[late.course.slug, late.module.slug]))
    assert [row.deadline.extended for row in module.context["rows"]] == [True, True]
    assert module.content.decode().count('data-extended="1"') == 2
    response_page = client.get(reverse("courses:response", args=[late.response.pk])).content.decode()
    assert 'id="your-deadline"' in response_page and "extended" in response_page
    # The other student has no extension: nothing due, the module page shows the ordinary deadline.
    client.force_login(late.other_student)
    assert client.get("/").context["due_soon"] == []
    assert 'data-extended="1"' not in client.get(
        reverse("courses:module", args=[late.course.slug, late.module.slug])).content.decode()


def test_an_extension_that_ends_before_now_drops_a_question_from_due_next(client, world):
    world.question.due_at = NOW + timedelta(days=3)
    world.question.save()
    second = make_question(world.module, 2, due_at=NOW + timedelta(days=3))
    extension_grant(course=world.course, granted_by=world.instructor, due_at=NOW - timedelta(hours=1), reason="r",
                    student=world.student, question=second)
    client.force_login(world.student)
    assert client.get("/").context["due_soon"] == []  # the first is submitted, the second's own deadline passed


def test_the_course_page_shows_the_students_own_next_deadline(client, late):
    late.course.time_zone = "Asia/Tokyo"
    late.course.save()
    make_question(late.module, 2, due_at=PAST_DUE)
    extension_grant(course=late.course, granted_by=late.instructor, due_at=datetime(2031, 3, 4, 1, 0, tzinfo=UTC),
                    reason="r", student=late.student, module=late.module)
    client.force_login(late.student)
    page = client.get(reverse("courses:course", args=[late.course.slug])).content.decode()
    assert "4 Mar 2031, 10:00 JST" in page and "extended" in page
    client.force_login(late.other_student)
    page = client.get(reverse("courses:course", args=[late.course.slug])).content.decode()
    assert "2031" not in page and "extended" not in page
