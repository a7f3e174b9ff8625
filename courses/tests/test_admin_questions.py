"""The question admin: Markdown preview, readable band validation, and the graded-question confirmation."""

from __future__ import annotations

import pytest
from django.contrib.contenttypes.models import ContentType
from django.urls import reverse

from courses.models import Question, Role, RubricBand
from courses.tests.factories import enroll, make_course, make_module, make_question, make_response, make_user
from grading.models import Grade, GradeEvent, GradeEventKind


@pytest.fixture
def admin_client(client, db):
    client.force_login(make_user("root", is_staff=True, is_superuser=True))
    return client


@pytest.fixture
def question(db) -> Question:
    module = make_module(make_course("ml-systems"), 1, slug="activations")
    return make_question(module, 1, prompt="Why is **ReLU** cheap? <script>alert(1)</script>")


def change_url(question: Question) -> str:
    return reverse("admin:courses_question_change", args=[question.pk])


def form_data(question: Question, bands: list[tuple] | None = None, **changes) -> dict:
    """The change form as the browser would post it; `bands` replaces the rows as (label, lo, hi[, delete])."""
    data = {
        "module": question.module_id, "number": question.number, "grade_id": question.grade_id,
        "title": question.title, "context": question.context, "prompt": question.prompt,
        "expected_response": question.expected_response, "mark_scheme": question.mark_scheme,
        "min_words": question.min_words, "max_words": question.max_words, "points": question.points,
        "opens_at_0": "", "opens_at_1": "", "due_at_0": "", "due_at_1": "", "late_policy": question.late_policy,
        "lab": question.lab,
    }
    existing = list(question.bands.order_by("position"))
    rows = bands if bands is not None else [(b.label, b.min_points, b.max_points) for b in existing]
    data.update({"bands-TOTAL_FORMS": max(len(rows), len(existing)), "bands-INITIAL_FORMS": len(existing),
                 "bands-MIN_NUM_FORMS": 0, "bands-MAX_NUM_FORMS": 1000})
    for i, row in enumerate(rows):
        prefix = f"bands-{i}-"
        if i < len(existing):
            data[prefix + "id"] = existing[i].pk
        data.update({prefix + "question": question.pk, prefix + "position": i, prefix + "label": row[0],
                     prefix + "min_points": row[1], prefix + "max_points": row[2],
                     prefix + "description": existing[i].description if i < len(existing) else ""})
        if len(row) > 3 and row[3]:
            data[prefix + "DELETE"] = "on"
    criteria = list(question.criteria.order_by("position"))
    data.update({"rubric_kind": question.rubric_kind, "criteria-TOTAL_FORMS": len(criteria),
                 "criteria-INITIAL_FORMS": len(criteria), "criteria-MIN_NUM_FORMS": 0, "criteria-MAX_NUM_FORMS": 1000})
    for i, criterion in enumerate(criteria):
        data.update({f"criteria-{i}-id": criterion.pk, f"criteria-{i}-question": question.pk,
                     f"criteria-{i}-position": criterion.position, f"criteria-{i}-description": criterion.description,
                     f"criteria-{i}-max_points": criterion.max_points, f"criteria-{i}-levels": criterion.levels})
    data.update(changes)
    return data


def bands_of(question: Question) -> list[tuple[str, int, int]]:
    return [(b.label, b.min_points, b.max_points) for b in question.bands.order_by("position")]


STANDARD = [("EXCELLENT", 9, 10), ("GOOD", 7, 8), ("SATISFACTORY", 5, 6), ("NEEDS IMPROVEMENT", 1, 4),
            ("NO CREDIT", 0, 0)]


def test_the_change_page_previews_the_markdown_sanitised(admin_client, question, django_assert_num_queries):
    # session, user, question, its bands, its criteria, content type (history link; the cache is per process, so
    # it is emptied first), "has responses?" for the delete permission, module choices
    ContentType.objects.clear_cache()
    with django_assert_num_queries(8):
        response = admin_client.get(change_url(question))
    page = response.content.decode()
    assert response.status_code == 200
    assert "Why is <strong>ReLU</strong> cheap?" in page
    assert "<script>alert(1)</script>" not in page.split("Preview as saved", 1)[1]
    assert "js/authoring-admin-preview.js" in page
    assert reverse("admin:courses_question_markdown_preview") in page


def test_the_live_preview_endpoint_renders_sanitised_markdown_for_staff_only(admin_client, client, question):
    url = reverse("admin:courses_question_markdown_preview")
    response = admin_client.post(url, {"text": "A *b* $x^2$ 🚀 <img src=x onerror=alert(1)>\n\n```\ncode\n```"})
    html = response.json()["html"]
    assert "<em>b</em>" in html and "🚀" in html and "<pre><code>code" in html and "onerror" not in html
    client.logout()
    assert client.post(url, {"text": "x"}).status_code == 302


def test_valid_band_edits_save(admin_client, question):
    bands = [("EXCELLENT", 9, 10), ("GOOD", 6, 8), ("SATISFACTORY", 5, 5), ("NEEDS IMPROVEMENT", 1, 4),
             ("NO CREDIT", 0, 0)]
    response = admin_client.post(change_url(question), form_data(question, bands))
    assert response.status_code == 302
    assert bands_of(question) == bands


def test_swapping_two_labels_saves_without_a_clash(admin_client, question):
    bands = [("GOOD", 9, 10), ("EXCELLENT", 7, 8), *STANDARD[2:]]
    response = admin_client.post(change_url(question), form_data(question, bands))
    assert response.status_code == 302
    assert bands_of(question)[:2] == [("GOOD", 9, 10), ("EXCELLENT", 7, 8)]


@pytest.mark.parametrize("bands, message", [
    ([("EXCELLENT", 9, 10), ("GOOD", 6, 8), *STANDARD[2:]], "GOOD overlaps the band below it at 6 points."),
    ([("EXCELLENT", 9, 10), ("GOOD", 8, 8), *STANDARD[2:]], "No band covers 7 points."),
    ([("EXCELLENT", 9, 11), *STANDARD[1:]], "Above the question&#x27;s 10 points."),
    ([("EXCELLENT", 9, 10), ("excellent", 7, 8), *STANDARD[2:]], "The label &#x27;excellent&#x27; is used by more"),
    ([STANDARD[1], STANDARD[0], *STANDARD[2:]], "Order the bands best first: EXCELLENT scores higher than GOOD"),
])
def test_bad_bands_are_refused_with_a_readable_message(admin_client, question, bands, message):
    response = admin_client.post(change_url(question), form_data(question, bands))
    assert response.status_code == 200
    assert message in response.content.decode()
    assert bands_of(question) == STANDARD


def test_points_that_no_longer_match_the_bands_are_refused(admin_client, question):
    response = admin_client.post(change_url(question), form_data(question, points=8))
    assert "Above the question&#x27;s 8 points." in response.content.decode()
    question.refresh_from_db()
    assert question.points == 10


@pytest.fixture
def graded(question):
    grader = make_user("grader")
    response = make_response(make_user(), question)
    return Grade.objects.create(response=response, band=question.bands.get(label="GOOD"), score=7, points=10,
                                graded_by=grader)


def test_changing_the_bands_of_a_graded_question_needs_the_confirm_box(admin_client, question, graded):
    bands = [("EXCELLENT", 9, 10), ("GOOD", 6, 8), ("SATISFACTORY", 5, 5), *STANDARD[3:]]
    response = admin_client.post(change_url(question), form_data(question, bands))
    assert response.status_code == 200
    assert "This question already has grades." in response.content.decode()
    assert bands_of(question) == STANDARD
    graded.refresh_from_db()
    assert not graded.needs_review


def test_with_the_box_ticked_the_change_saves_and_the_grades_are_flagged(admin_client, question, graded):
    bands = [("EXCELLENT", 9, 10), ("GOOD", 6, 8), ("SATISFACTORY", 5, 5), *STANDARD[3:]]
    response = admin_client.post(change_url(question), form_data(question, bands, confirm_rubric_change="on"),
                                 follow=True)
    assert "1 grade(s) flagged for review" in response.content.decode()
    assert bands_of(question) == bands
    graded.refresh_from_db()
    assert graded.needs_review and graded.score == 7 and graded.band.label == "GOOD"
    event = GradeEvent.objects.get(kind=GradeEventKind.FLAGGED)
    assert event.actor.username == "root" and "bands edited" in event.note


def test_a_points_change_on_a_graded_question_is_flagged_too(admin_client, question, graded):
    bands = [("EXCELLENT", 13, 15), ("GOOD", 7, 12), *STANDARD[2:]]
    admin_client.post(change_url(question), form_data(question, bands, points=15, confirm_rubric_change="on"))
    question.refresh_from_db()
    graded.refresh_from_db()
    assert question.points == 15 and graded.needs_review and "points 10 → 15" in graded.review_reason


def test_text_edits_on_a_graded_question_need_no_confirmation(admin_client, question, graded):
    response = admin_client.post(change_url(question), form_data(question, title="A clearer title"))
    assert response.status_code == 302
    graded.refresh_from_db()
    assert not graded.needs_review


def test_a_band_with_grades_cannot_be_deleted(admin_client, question, graded):
    bands = [("EXCELLENT", 7, 10), ("GOOD", 7, 8, True), *STANDARD[2:]]
    response = admin_client.post(change_url(question), form_data(question, bands, confirm_rubric_change="on"))
    assert "Deleting rubric band GOOD (7–8) would require deleting the following protected related objects" in (
        response.content.decode())
    assert RubricBand.objects.filter(question=question).count() == 5


def test_a_question_with_responses_cannot_be_deleted_here(admin_client, question):
    make_response(make_user(), question)
    response = admin_client.get(reverse("admin:courses_question_delete", args=[question.pk]))
    assert response.status_code == 403


def test_staff_instructors_see_only_the_courses_they_teach(client, question):
    other = make_question(make_module(make_course("elsewhere"), 1), 1, title="Not yours")
    teacher = make_user("teacher", is_staff=True)
    enroll(teacher, question.module.course, Role.INSTRUCTOR)
    from django.contrib.auth.models import Permission

    teacher.user_permissions.set(Permission.objects.filter(content_type__app_label="courses"))
    client.force_login(teacher)
    page = client.get(reverse("admin:courses_question_changelist")).content.decode()
    assert question.title in page and "Not yours" not in page
    assert client.get(reverse("admin:courses_question_change", args=[other.pk])).status_code == 302


def test_editing_only_a_bands_criteria_on_a_graded_question_needs_no_confirmation(admin_client, question, graded):
    data = form_data(question)
    data["bands-1-description"] = "Clearer criteria for GOOD."
    response = admin_client.post(change_url(question), data)
    assert response.status_code == 302
    assert question.bands.get(label="GOOD").description == "Clearer criteria for GOOD."
    graded.refresh_from_db()
    assert not graded.needs_review


def test_module_choices_name_their_course(admin_client, question):
    make_module(make_course("elsewhere"), 1, slug="activations")
    page = admin_client.get(change_url(question)).content.decode()
    assert "ml-systems · 01. Module 1" in page and "elsewhere · 01. Module 1" in page


def test_a_confirmed_range_change_moves_each_grade_to_the_band_covering_its_score(admin_client, question):
    grader = make_user("grader")
    eight = Grade.objects.create(response=make_response(make_user(), question), band=question.bands.get(label="GOOD"),
                                 score=8, points=10, graded_by=grader)
    bands = [("EXCELLENT", 8, 10), ("GOOD", 6, 7), ("SATISFACTORY", 5, 5), *STANDARD[3:]]
    admin_client.post(change_url(question), form_data(question, bands, confirm_rubric_change="on"))
    eight.refresh_from_db()
    assert eight.needs_review and eight.band.label == "EXCELLENT"
    assert GradeEvent.objects.get(kind=GradeEventKind.FLAGGED).old_band == "GOOD"
