"""Authoring analytic criteria and versioning a graded rubric: manage page, admin, grading page, copies."""

from __future__ import annotations

import pytest
from django.urls import reverse

from courses.copy import course_copy
from courses.models import Question, RubricCriterion, RubricKind, RubricVersion
from courses.tests.factories import make_user
from courses.tests.test_manage_questions import edit_url, form_data
from grading.models import Grade, GradeEvent, GradeEventKind
from grading.services import grade_save
from grading.tests.helpers import grade as grade_by_band
from grading.tests.test_criteria import make_criteria


def with_criteria(data: dict, question: Question | None, rows: list[tuple] | None, kind: str | None = None) -> dict:
    """`data` with the criteria rows replaced by `rows` as (description, points[, delete])."""
    existing = list(question.criteria.order_by("position")) if question else []
    rows = [(c.description, c.max_points) for c in existing] if rows is None else rows
    data = {**data, "rubric_kind": kind or (question.rubric_kind if question else RubricKind.BANDS),
            "criteria-TOTAL_FORMS": max(len(rows), len(existing)), "criteria-INITIAL_FORMS": len(existing),
            "criteria-MIN_NUM_FORMS": 0, "criteria-MAX_NUM_FORMS": 1000}
    for i, row in enumerate(rows):
        prefix = f"criteria-{i}-"
        if i < len(existing):
            data[prefix + "id"] = existing[i].pk
        data.update({prefix + "position": i + 1, prefix + "description": row[0], prefix + "max_points": row[1],
                     prefix + "levels": ""})
        if len(row) > 2 and row[2]:
            data[prefix + "DELETE"] = "on"
    return data


def criteria_of(question: Question) -> list[tuple[str, int]]:
    return [(c.description, c.max_points) for c in question.criteria.order_by("position")]


@pytest.fixture
def instructor(client, world):
    client.force_login(world.instructor)
    return client


@pytest.fixture
def graded(world):
    """The world's question scored by criteria (4 + 3 + 3), the student's answer given 4, 2, 2."""
    make_criteria(world.question)
    return grade_save(response_id=world.response.pk, actor=world.ta, band_id=None, score=None, feedback="",
                      base_version=0, criterion_scores=[4, 2, 2])


def test_an_instructor_makes_a_question_analytic_on_the_manage_page(instructor, world):
    rows = [("Names the cost", 6), ("Compares", 4)]
    reply = instructor.post(edit_url(world.question),
                            with_criteria(form_data(world.question), world.question, rows, RubricKind.CRITERIA))
    assert reply.status_code == 302
    world.question.refresh_from_db()
    assert world.question.uses_criteria and criteria_of(world.question) == rows
    assert world.question.rubric_version == 1 and not RubricVersion.objects.exists()  # no grades, no version
    page = instructor.get(edit_url(world.question)).content.decode()
    assert 'value="Names the cost"' not in page and "Names the cost</textarea>" in page


@pytest.mark.parametrize("rows, message", [
    ([("Names the cost", 6), ("Compares", 3)], "The criteria add up to 9 points but the question is worth 10."),
    ([("Names the cost", 10), ("Compares", 0)], "Ensure this value is greater than or equal to 1."),
    ([], "An analytic rubric needs at least one criterion."),
])
def test_criteria_that_break_the_rule_are_refused_and_nothing_changes(instructor, world, rows, message):
    reply = instructor.post(edit_url(world.question),
                            with_criteria(form_data(world.question), world.question, rows, RubricKind.CRITERIA))
    assert reply.status_code == 400
    assert message in reply.content.decode()
    world.question.refresh_from_db()
    assert world.question.rubric_kind == RubricKind.BANDS and not RubricCriterion.objects.exists()


def test_editing_a_graded_rubric_needs_the_confirmation_and_changes_nothing_without_it(instructor, world, graded):
    rows = [("Names the cost of exp", 5), ("Compares with ReLU", 3), ("Writes clearly", 2)]
    reply = instructor.post(edit_url(world.question), with_criteria(form_data(world.question), world.question, rows))
    assert reply.status_code == 400
    assert "This question already has grades" in reply.content.decode()
    assert criteria_of(world.question)[0] == ("Names the cost of exp", 4)
    assert not RubricVersion.objects.exists()


def test_a_confirmed_edit_keeps_the_old_rubric_as_a_version_and_flags_the_grades(instructor, world, graded):
    rows = [("Names the cost of exp", 5), ("Compares with ReLU", 3), ("Writes clearly", 2)]
    data = with_criteria(form_data(world.question, confirm_rubric_change="on"), world.question, rows)
    reply = instructor.post(edit_url(world.question), data, follow=True)
    assert "1 grade(s) flagged for review" in reply.content.decode()
    world.question.refresh_from_db()
    assert world.question.rubric_version == 2 and criteria_of(world.question) == rows
    version = RubricVersion.objects.get()
    assert (version.number, version.kind, version.points, version.replaced_by) == (1, "criteria", 10,
                                                                                     world.instructor)
    assert [(c["description"], c["max_points"]) for c in version.rubric["criteria"]] == [
        ("Names the cost of exp", 4), ("Compares with ReLU", 3), ("Writes clearly", 3)]
    assert [b["label"] for b in version.rubric["bands"]][0] == "EXCELLENT"
    assert "criteria edited" in version.reason
    graded.refresh_from_db()
    assert graded.needs_review and graded.rubric_version == 1 and graded.criterion_scores == [4, 2, 2]
    flagged = GradeEvent.objects.get(kind=GradeEventKind.FLAGGED)
    assert flagged.old_criterion_scores == flagged.new_criterion_scores == [4, 2, 2]


def test_the_flagged_grade_shows_the_old_and_new_rubric_side_by_side_until_rescored(client, instructor, world,
                                                                                     graded):
    rows = [("Names the cost of exp", 5), ("Compares with ReLU", 3), ("Writes clearly", 2)]
    instructor.post(edit_url(world.question),
                    with_criteria(form_data(world.question, confirm_rubric_change="on"), world.question, rows))
    client.force_login(world.ta)
    url = f"/grading/responses/{world.response.pk}/"
    page = client.get(url).content.decode()
    then = page.split('id="rubric-then"')[1].split('id="rubric-now"')[0]
    now = page.split('id="rubric-now"')[1].split("</section>")[0]
    assert "Graded against: version 1" in then and "Current: version 2" in now
    assert "(0–4)" in then and 'given <strong class="criterion-given">4</strong>' in then
    assert "(0–5)" in now and "criterion-given" not in now
    assert 'name="criterion-1"' in page and 'value="" data-criterion' in page  # re-scored from empty boxes
    client.post(f"{url}save/", {"criterion-1": 5, "criterion-2": 2, "criterion-3": 2, "version": 1,
                                "then": "stay"})
    graded.refresh_from_db()
    assert (graded.score, graded.rubric_version, graded.needs_review) == (9, 2, False)
    assert 'id="rubric-versions"' not in client.get(url).content.decode()


def test_switching_a_graded_question_to_criteria_is_a_rubric_change(instructor, world):
    grade_by_band(world.response, world.ta, score=7, label="GOOD")
    rows = [("Names the cost", 6), ("Compares", 4)]
    data = with_criteria(form_data(world.question), world.question, rows, RubricKind.CRITERIA)
    assert instructor.post(edit_url(world.question), data).status_code == 400
    data["confirm_rubric_change"] = "on"
    assert instructor.post(edit_url(world.question), data).status_code == 302
    version = RubricVersion.objects.get()
    assert (version.kind, version.rubric["criteria"]) == (RubricKind.BANDS, [])
    assert "holistic bands → analytic criteria" in version.reason
    grade = Grade.objects.get()
    assert grade.needs_review and grade.rubric_version == 1


def test_a_band_that_no_longer_covers_a_grade_moves_it_with_a_realigned_event(instructor, world, graded):
    bands = [("EXCELLENT", 8, 10), ("GOOD", 7, 7), ("SATISFACTORY", 5, 6), ("NEEDS IMPROVEMENT", 1, 4),
             ("NO CREDIT", 0, 0)]
    data = with_criteria(form_data(world.question, bands, confirm_rubric_change="on"), world.question, None)
    assert instructor.post(edit_url(world.question), data).status_code == 302
    graded.refresh_from_db()
    assert (graded.score, graded.band.label, graded.criterion_scores) == (8, "EXCELLENT", [4, 2, 2])
    event = GradeEvent.objects.get(kind=GradeEventKind.REALIGNED)
    assert (event.old_band, event.new_band, event.actor, event.old_score, event.new_score) == (
        "GOOD", "EXCELLENT", world.instructor, 8, 8)
    assert event.new_criterion_scores == [4, 2, 2]


def test_rewording_a_criterion_needs_no_confirmation_and_makes_no_version(instructor, world, graded):
    rows = [("Names the cost of exponentials", 4), ("Compares with ReLU", 3), ("Writes clearly", 3)]
    reply = instructor.post(edit_url(world.question), with_criteria(form_data(world.question), world.question, rows))
    assert reply.status_code == 302
    assert not RubricVersion.objects.exists()
    graded.refresh_from_db()
    assert not graded.needs_review


def test_the_admin_edits_criteria_through_the_same_rule_and_versions_a_graded_rubric(client, world, graded):
    from courses.tests.test_admin_questions import form_data as admin_form_data

    client.force_login(make_user("root", is_staff=True, is_superuser=True))
    url = reverse("admin:courses_question_change", args=[world.question.pk])
    data = admin_form_data(world.question)
    data["criteria-0-max_points"] = 6
    data["criteria-2-max_points"] = 1
    refused = client.post(url, data)
    assert refused.status_code == 200 and "This question already has grades" in refused.content.decode()
    data["criteria-1-max_points"] = 4
    assert "The criteria add up to 11 points" in client.post(url, {**data, CONFIRM: "on"}).content.decode()
    data["criteria-1-max_points"] = 3
    assert client.post(url, {**data, CONFIRM: "on"}).status_code == 302
    assert criteria_of(world.question) == [("Names the cost of exp", 6), ("Compares with ReLU", 3),
                                           ("Writes clearly", 1)]
    assert RubricVersion.objects.get().number == 1
    world.question.refresh_from_db()
    assert world.question.rubric_version == 2


CONFIRM = "confirm_rubric_change"


def test_a_copy_carries_the_criteria_and_starts_at_rubric_version_one(instructor, world, graded):
    rows = [("Names the cost of exp", 5), ("Compares with ReLU", 3), ("Writes clearly", 2)]
    instructor.post(edit_url(world.question),
                    with_criteria(form_data(world.question, confirm_rubric_change="on"), world.question, rows))
    copy = course_copy(source=world.course, slug="ml-systems-next", title="Next term", actor=world.instructor,
                       shift=None, clear_deadlines=True)
    question = Question.objects.get(module__course=copy)
    assert question.uses_criteria and criteria_of(question) == rows
    assert question.rubric_version == 1 and not question.rubric_versions.exists()


def test_a_forced_reimport_that_changes_a_graded_rubric_versions_it_too(tmp_path, db):
    from courses.tests.factories import make_course
    from courses.tests.test_notebook_import import _graded_setup, _rescaled_seed, run

    make_course("ml-systems")
    question, graded, grader = _graded_setup(None)
    run(_rescaled_seed(tmp_path), "--course", "ml-systems", "--module", "activations", "--force", "--actor", "grader")
    version = RubricVersion.objects.get(question=question)
    assert (version.number, version.kind, version.replaced_by) == (1, RubricKind.BANDS, grader)
    assert [(b["label"], b["min_points"], b["max_points"]) for b in version.rubric["bands"]][1] == ("GOOD", 7, 8)
    question.refresh_from_db()
    graded.refresh_from_db()
    assert (question.rubric_version, graded.rubric_version, graded.needs_review) == (2, 1, True)
