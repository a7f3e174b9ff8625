"""Questions in the manage area: everything the admin edits, the same rubric rule and the same confirmation."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.contrib.auth import get_user_model

from courses.models import Enrollment, Lab, LatePolicy, Question, Role, RubricBand
from courses.tests.factories import make_response, make_user
from grading.models import Grade, GradeEvent, GradeEventKind

User = get_user_model()
STANDARD = [("EXCELLENT", 9, 10), ("GOOD", 7, 8), ("SATISFACTORY", 5, 6), ("NEEDS IMPROVEMENT", 1, 4),
            ("NO CREDIT", 0, 0)]


def edit_url(question: Question) -> str:
    return f"/manage/{question.module.course.slug}/questions/{question.pk}/"


def form_data(question: Question | None, bands: list[tuple] | None = None, **changes) -> dict:
    """The question form as the browser posts it; `bands` replaces the rows as (label, lo, hi[, delete])."""
    data = {"number": 1, "grade_id": "q1", "title": "T", "context": "", "prompt": "P", "expected_response": "",
            "mark_scheme": "", "min_words": 150, "max_words": 300, "points": 10, "opens_at": "", "due_at": "",
            "late_policy": LatePolicy.REJECT, "late_penalty_per_day": "", "late_penalty_cap": "", "lab": ""}
    existing = list(question.bands.order_by("position")) if question else []
    if question:
        data.update({name: getattr(question, name) for name in (
            "number", "grade_id", "title", "context", "prompt", "expected_response", "mark_scheme", "min_words",
            "max_words", "points", "late_policy", "late_penalty_per_day", "late_penalty_cap", "lab")})
    rows = bands if bands is not None else [(b.label, b.min_points, b.max_points) for b in existing]
    data.update({"bands-TOTAL_FORMS": max(len(rows), len(existing)), "bands-INITIAL_FORMS": len(existing),
                 "bands-MIN_NUM_FORMS": 0, "bands-MAX_NUM_FORMS": 1000})
    for i, row in enumerate(rows):
        prefix = f"bands-{i}-"
        if i < len(existing):
            data[prefix + "id"] = existing[i].pk
            data[prefix + "description"] = existing[i].description
        data.update({prefix + "position": i, prefix + "label": row[0], prefix + "min_points": row[1],
                     prefix + "max_points": row[2]})
        if len(row) > 3 and row[3]:
            data[prefix + "DELETE"] = "on"
    data.update(changes)
    return data


def bands_of(question: Question) -> list[tuple[str, int, int]]:
    return [(b.label, b.min_points, b.max_points) for b in question.bands.order_by("position")]


@pytest.fixture
def instructor(client, world):
    client.force_login(world.instructor)
    return client


def test_an_instructor_creates_a_question_with_its_bands(instructor, world):
    world.course.default_late_policy = LatePolicy.PENALTY
    world.course.time_zone = "Europe/Berlin"
    world.course.save()
    url = f"/manage/{world.course.slug}/modules/{world.module.slug}/questions/new/"
    page = instructor.get(url).content.decode()
    assert 'value="2"' in page and 'value="q2"' in page and 'value="NEEDS IMPROVEMENT"' in page
    assert '<option value="penalty" selected>' in page
    data = form_data(None, STANDARD, number=2, grade_id="softmax-cost", title="Softmax cost",
                     prompt="Why is **Softmax** dear?", mark_scheme="exp", min_words=100, max_words=250,
                     due_at="2026-06-01T17:00", late_policy=LatePolicy.PENALTY, late_penalty_per_day=20,
                     late_penalty_cap=60, lab=Lab.COST)
    response = instructor.post(url, data, follow=True)
    assert "Q2 “Softmax cost” created." in response.content.decode()
    question = Question.objects.get(module=world.module, grade_id="softmax-cost")
    assert (question.number, question.prompt, question.mark_scheme, question.min_words, question.max_words,
            question.late_policy, question.late_penalty_per_day, question.late_penalty_cap, question.lab) == (
        2, "Why is **Softmax** dear?", "exp", 100, 250, LatePolicy.PENALTY, 20, 60, Lab.COST)
    assert question.due_at == datetime(2026, 6, 1, 15, 0, tzinfo=UTC)
    assert bands_of(question) == STANDARD


def test_an_instructor_edits_every_field(instructor, world):
    question = world.question
    data = form_data(question, title="New title", context="New context", prompt="New prompt",
                     expected_response="New expected", mark_scheme="New scheme", min_words=50, max_words=80,
                     opens_at="2026-01-05T08:00", due_at="2026-01-12T08:00", late_policy=LatePolicy.ACCEPT_LATE,
                     lab=Lab.STABILITY, grade_id="renamed", number=4)
    assert instructor.post(edit_url(question), data).status_code == 302
    question.refresh_from_db()
    assert (question.title, question.context, question.prompt, question.expected_response, question.mark_scheme,
            question.min_words, question.max_words, question.late_policy, question.lab, question.grade_id,
            question.number) == ("New title", "New context", "New prompt", "New expected", "New scheme", 50, 80,
                                 LatePolicy.ACCEPT_LATE, Lab.STABILITY, "renamed", 4)
    assert question.opens_at == datetime(2026, 1, 5, 8, tzinfo=UTC)
    # Empty penalty boxes keep what was stored.
    assert (question.late_penalty_per_day, question.late_penalty_cap) == (10, 50)


def test_the_edit_page_shows_dates_in_the_course_zone(instructor, world):
    world.course.time_zone = "Asia/Tokyo"
    world.course.save()
    Question.objects.filter(pk=world.question.pk).update(due_at=datetime(2026, 4, 1, 3, 0, tzinfo=UTC))
    page = instructor.get(edit_url(world.question)).content.decode()
    assert 'value="2026-04-01T12:00"' in page and "Times in Asia/Tokyo." in page


@pytest.mark.parametrize("bands, message", [
    ([("EXCELLENT", 9, 10), ("GOOD", 6, 8), *STANDARD[2:]], "GOOD overlaps the band below it at 6 points."),
    ([("EXCELLENT", 9, 10), ("GOOD", 8, 8), *STANDARD[2:]], "No band covers 7 points."),
    ([("EXCELLENT", 9, 11), *STANDARD[1:]], "Above the question&#x27;s 10 points."),
    ([("EXCELLENT", 9, 10), ("excellent", 7, 8), *STANDARD[2:]], "The label &#x27;excellent&#x27; is used by more"),
    ([STANDARD[1], STANDARD[0], *STANDARD[2:]], "Order the bands best first: EXCELLENT scores higher than GOOD"),
    ([], "A question needs at least one rubric band."),
])
def test_bad_bands_are_refused_with_the_admins_messages(instructor, world, bands, message):
    question = world.question
    data = form_data(question, bands)
    if not bands:
        data.update({f"bands-{i}-DELETE": "on" for i in range(5)})
        data.update({f"bands-{i}-{k}": v for i, b in enumerate(question.bands.order_by("position"))
                     for k, v in (("id", b.pk), ("position", i), ("label", b.label), ("min_points", b.min_points),
                                  ("max_points", b.max_points))})
        data["bands-TOTAL_FORMS"] = 5
    response = instructor.post(edit_url(question), data)
    assert response.status_code == 400
    page = response.content.decode()
    assert message in page and "Nothing was saved" in page
    assert bands_of(question) == STANDARD


@pytest.mark.parametrize("changes, message", [
    ({"points": 8}, "Above the question&#x27;s 8 points."),
    ({"points": 0}, "Ensure this value is greater than or equal to 1."),
    ({"min_words": 300, "max_words": 150}, "The word limit must be at least the minimum."),
    ({"opens_at": "2026-02-01T00:00", "due_at": "2026-01-01T00:00"}, "The deadline must be after the question opens."),
    ({"late_penalty_per_day": 101}, "Ensure this value is less than or equal to 100."),
    ({"late_policy": "never"}, "Select a valid choice."),
    ({"grade_id": "q 1"}, "Enter a valid “slug”"),
    ({"prompt": ""}, "This field is required."),
])
def test_bad_question_fields_are_refused_and_nothing_is_written(instructor, world, changes, message):
    before = Question.objects.values().get(pk=world.question.pk)
    response = instructor.post(edit_url(world.question), form_data(world.question, **changes))
    assert response.status_code == 400 and message in response.content.decode()
    assert Question.objects.values().get(pk=world.question.pk) == before


def test_number_and_grade_id_must_be_free_in_the_module(instructor, world):
    other = world.module.questions.create(number=2, grade_id="q2", title="Other", prompt="P")
    RubricBand.objects.create(question=other, position=0, label="ALL", min_points=0, max_points=10)
    page = instructor.post(edit_url(world.question), form_data(world.question, number=2, grade_id="q2"))
    assert "Q2 already exists in this module" in page.content.decode()
    assert "already has the grade id “q2”" in page.content.decode()


@pytest.fixture
def graded(world):
    return Grade.objects.create(response=world.response, band=world.question.bands.get(label="GOOD"), score=8,
                                points=10, graded_by=world.ta)


CHANGED = [("EXCELLENT", 8, 10), ("GOOD", 6, 7), ("SATISFACTORY", 5, 5), *STANDARD[3:]]


def test_a_rubric_change_on_a_graded_question_asks_for_confirmation_first(instructor, world, graded):
    page = instructor.get(edit_url(world.question)).content.decode()
    assert "This question already has grades." in page and 'name="confirm_rubric_change"' in page
    response = instructor.post(edit_url(world.question), form_data(world.question, CHANGED))
    assert response.status_code == 400
    assert "This question already has grades. Tick “Apply the rubric change" in response.content.decode()
    assert bands_of(world.question) == STANDARD
    graded.refresh_from_db()
    assert not graded.needs_review


def test_a_confirmed_change_flags_the_grades_and_moves_them_to_the_band_covering_their_score(instructor, world,
                                                                                             graded):
    response = instructor.post(edit_url(world.question),
                               form_data(world.question, CHANGED, confirm_rubric_change="on"), follow=True)
    assert "1 grade(s) flagged for review in the grading queue." in response.content.decode()
    assert bands_of(world.question) == CHANGED
    graded.refresh_from_db()
    assert graded.needs_review and graded.score == 8 and graded.band.label == "EXCELLENT"
    assert "Rubric changed on the manage page: bands edited." == graded.review_reason
    event = GradeEvent.objects.get(kind=GradeEventKind.FLAGGED)
    assert event.actor == world.instructor and event.old_band == "GOOD"


def test_a_points_change_on_a_graded_question_is_flagged_too(instructor, world, graded):
    bands = [("EXCELLENT", 13, 15), ("GOOD", 7, 12), *STANDARD[2:]]
    instructor.post(edit_url(world.question), form_data(world.question, bands, points=15,
                                                        confirm_rubric_change="on"))
    graded.refresh_from_db()
    assert graded.needs_review and "points 10 → 15" in graded.review_reason


def test_text_and_criteria_edits_on_a_graded_question_need_no_confirmation(instructor, world, graded):
    data = form_data(world.question, title="Clearer", due_at="2026-09-01T12:00")
    data["bands-1-description"] = "Clearer criteria."
    assert instructor.post(edit_url(world.question), data).status_code == 302
    graded.refresh_from_db()
    assert not graded.needs_review
    assert world.question.bands.get(label="GOOD").description == "Clearer criteria."


def test_a_band_with_grades_cannot_be_deleted(instructor, world, graded):
    bands = [("EXCELLENT", 7, 10), ("GOOD", 7, 8, True), *STANDARD[2:]]
    response = instructor.post(edit_url(world.question), form_data(world.question, bands,
                                                                   confirm_rubric_change="on"))
    assert response.status_code == 400
    assert "GOOD has grades, so it can&#x27;t be deleted" in response.content.decode()
    assert bands_of(world.question) == STANDARD


def test_a_ta_reads_a_question_but_cannot_change_or_create_one(client, world):
    client.force_login(world.ta)
    page = client.get(edit_url(world.question)).content.decode()
    assert "SECRET-MARK-SCHEME" in page and "disabled" in page and "Save question" not in page
    assert client.post(edit_url(world.question), form_data(world.question, title="Mine")).status_code == 403
    new = f"/manage/{world.course.slug}/modules/{world.module.slug}/questions/new/"
    assert client.get(new).status_code == 403
    assert client.post(new, form_data(None, STANDARD, number=5, grade_id="q5")).status_code == 403
    assert Question.objects.count() == 1 and Question.objects.get().title == "Question 1"


def test_a_question_of_another_course_is_a_404(instructor, world):
    from courses.tests.factories import make_module, make_question

    elsewhere = make_question(make_module(world.other_course, 1), 1)
    assert instructor.get(f"/manage/{world.course.slug}/questions/{elsewhere.pk}/").status_code == 404


def _add_students(course, question, count: int) -> None:
    users = User.objects.bulk_create(User(username=f"s{i:04d}", email=f"s{i}@example.edu") for i in range(count))
    Enrollment.objects.bulk_create(Enrollment(user=u, course=course, role=Role.STUDENT) for u in users)
    for user in users[:5]:
        make_response(user, question)


@pytest.mark.parametrize("students", [10, 200])
def test_the_question_page_query_count_does_not_grow(instructor, world, students, django_assert_num_queries):
    _add_students(world.course, world.question, students)
    make_user("spare")
    # session, user, staff enrollment with its course, the question with its module, its bands, its criteria,
    # "has grades?"
    with django_assert_num_queries(7):
        assert instructor.get(edit_url(world.question)).status_code == 200


def test_an_empty_post_is_refused_with_messages_and_writes_nothing(instructor, world):
    before = Question.objects.values().get(pk=world.question.pk)
    for url in (edit_url(world.question), f"/manage/{world.course.slug}/modules/{world.module.slug}/questions/new/"):
        response = instructor.post(url, {})
        page = response.content.decode()
        assert response.status_code == 400
        assert "Nothing was saved" in page and "A question needs at least one rubric band." in page
    assert Question.objects.count() == 1 and Question.objects.values().get(pk=world.question.pk) == before
