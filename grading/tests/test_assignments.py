"""Grading teams: assigning answers by section, round-robin and by hand, reassigning, the TA's queue and progress."""

from __future__ import annotations

from collections import Counter

import pytest
from django.utils import timezone

from courses.models import Enrollment, EnrollmentStatus, Response, Role, Section
from courses.tests.factories import make_question, make_response, make_user
from grading.assignments import (
    AssignmentError,
    AssignmentScope,
    assignments_by_hand,
    assignments_by_section,
    assignments_round_robin,
    course_progress,
)
from grading.models import GradingAssignment
from grading.tests.helpers import band, grade


def _student(world, name: str, section: Section | None = None) -> Response:
    user = make_user(name)
    Enrollment.objects.create(user=user, course=world.course, role=Role.STUDENT, section=section)
    return make_response(user, world.question)


def _ta(world, name: str, section: Section | None = None):
    user = make_user(name)
    Enrollment.objects.create(user=user, course=world.course, role=Role.TA, section=section)
    return user


def _loads(question=None) -> Counter:
    rows = GradingAssignment.objects.all()
    if question is not None:
        rows = rows.filter(response__question=question)
    return Counter(rows.values_list("grader__username", flat=True))


def _answers(n: int, world, prefix: str = "s") -> list[Response]:
    return [_student(world, f"{prefix}{i}") for i in range(n)]


# By section ---------------------------------------------------------------------------------------------------------


def test_by_section_gives_each_answer_to_its_sections_tas_and_the_rest_round_robin(world):
    a, b, c = (Section.objects.create(course=world.course, name=n) for n in ("Lab A", "Lab B", "Lab C"))
    ta_a, ta_b1, ta_b2 = _ta(world, "ta_a", a), _ta(world, "ta_b1", b), _ta(world, "ta_b2", b)
    in_a = [_student(world, f"a{i}", a) for i in range(3)]
    in_b = [_student(world, f"b{i}", b) for i in range(4)]
    in_c = [_student(world, f"c{i}", c) for i in range(2)]  # Lab C has no TA

    result = assignments_by_section(question=world.question, actor=world.instructor, scope=AssignmentScope.UNASSIGNED)

    graders = dict(GradingAssignment.objects.values_list("response_id", "grader_id"))
    assert {graders[r.pk] for r in in_a} == {ta_a.pk}
    assert Counter(graders[r.pk] for r in in_b) == {ta_b1.pk: 2, ta_b2.pk: 2}
    # Lab C's two, and world's two students without a section, fall back to all TAs (world.ta included).
    assert result.fallback == 4
    assert all(graders[r.pk] in {world.ta.pk, ta_a.pk, ta_b1.pk, ta_b2.pk} for r in in_c)
    assert result.assigned == len(graders) == 3 + 4 + 2 + 2
    assert set(GradingAssignment.objects.values_list("assigned_by", flat=True)) == {world.instructor.pk}


def test_by_section_in_the_page_says_how_many_fell_back(client, world):
    lab = Section.objects.create(course=world.course, name="Lab A")
    Enrollment.objects.filter(user=world.ta).update(section=lab)
    client.force_login(world.instructor)
    reply = client.post(f"/manage/{world.course.slug}/grading-team/questions/{world.question.pk}/assign/",
                        {"mode": "section", "scope": "unassigned"}, follow=True)
    page = reply.content.decode()
    assert "Assigned 2 answers" in page
    assert "2 answers came from students whose section has no TA" in page
    assert _loads() == {"ta": 2}


def test_by_section_without_any_ta_writes_nothing_and_says_why(client, world):
    Enrollment.objects.filter(user=world.ta).delete()
    client.force_login(world.instructor)
    reply = client.post(f"/manage/{world.course.slug}/grading-team/questions/{world.question.pk}/assign/",
                        {"mode": "section"})
    assert reply.status_code == 400 and "This course has no TAs to assign answers to." in reply.content.decode()
    assert not GradingAssignment.objects.exists()


# Round-robin ---------------------------------------------------------------------------------------------------------


def test_round_robin_is_balanced_and_follows_pseudonym_order(world):
    ta2, ta3 = _ta(world, "ta2"), _ta(world, "ta3")
    _answers(5, world)  # 7 answers with world's two
    assignments_round_robin(question=world.question, actor=world.instructor, graders=[ta3, world.ta, ta2],
                            scope=AssignmentScope.UNASSIGNED)
    assert sorted(_loads().values()) == [2, 2, 3]
    in_order = list(
        GradingAssignment.objects.order_by("response__pseudonym").values_list("grader__username", flat=True)
    )
    # Graders in username order, answers in pseudonym order: the first goes to "ta", the second to "ta2", ...
    assert in_order == ["ta", "ta2", "ta3", "ta", "ta2", "ta3", "ta"]


def test_round_robin_of_unassigned_answers_tops_up_the_lightest_and_leaves_the_rest(world):
    ta2 = _ta(world, "ta2")
    assignments_round_robin(question=world.question, actor=world.instructor, graders=[world.ta],
                            scope=AssignmentScope.UNASSIGNED)
    assert _loads() == {"ta": 2}
    _answers(4, world)
    result = assignments_round_robin(question=world.question, actor=world.instructor, graders=[world.ta, ta2],
                                     scope=AssignmentScope.UNASSIGNED)
    assert result.assigned == 4 and _loads() == {"ta": 3, "ta2": 3}
    again = assignments_round_robin(question=world.question, actor=world.instructor, graders=[world.ta, ta2],
                                    scope=AssignmentScope.UNASSIGNED)
    assert again.assigned == 0


def test_round_robin_of_all_answers_reassigns_everything(world):
    ta2 = _ta(world, "ta2")
    assignments_round_robin(question=world.question, actor=world.instructor, graders=[world.ta],
                            scope=AssignmentScope.UNASSIGNED)
    assignments_round_robin(question=world.question, actor=world.instructor, graders=[ta2],
                            scope=AssignmentScope.ALL)
    assert _loads() == {"ta2": 2}


def test_round_robin_refuses_a_grader_from_outside_the_course_and_writes_nothing(client, world):
    with pytest.raises(AssignmentError):
        assignments_round_robin(question=world.question, actor=world.instructor, graders=[world.other_ta],
                                scope=AssignmentScope.UNASSIGNED)
    client.force_login(world.instructor)
    for data in ({"mode": "round_robin", "graders": [world.other_ta.pk]}, {"mode": "round_robin", "graders": ["x"]},
                 {"mode": "round_robin"}, {"mode": "lottery"}, {"mode": "round_robin", "graders": [world.ta.pk],
                                                                 "scope": "some"}):
        reply = client.post(f"/manage/{world.course.slug}/grading-team/questions/{world.question.pk}/assign/", data)
        assert reply.status_code == 400, data
        assert 'class="messages"' in reply.content.decode()
    assert not GradingAssignment.objects.exists()


def test_dropped_students_answers_are_not_assigned(world):
    Enrollment.objects.filter(user=world.other_student).update(
        status=EnrollmentStatus.DROPPED, dropped_at=timezone.now())
    assignments_round_robin(question=world.question, actor=world.instructor, graders=[world.ta],
                            scope=AssignmentScope.ALL)
    assert list(GradingAssignment.objects.values_list("response_id", flat=True)) == [world.response.pk]


# By hand and reassigning ---------------------------------------------------------------------------------------------


def test_by_hand_gives_the_ticked_answers_to_one_grader_and_records_who(client, world):
    others = _answers(2, world)
    client.force_login(world.instructor)
    reply = client.post(
        f"/manage/{world.course.slug}/grading-team/questions/{world.question.pk}/assign/",
        {"mode": "hand", "grader": world.ta.pk, "responses": [world.response.pk, others[0].pk]},
    )
    assert reply.status_code == 302
    rows = list(GradingAssignment.objects.select_related("grader", "assigned_by"))
    assert {r.response_id for r in rows} == {world.response.pk, others[0].pk}
    assert {(r.grader, r.assigned_by) for r in rows} == {(world.ta, world.instructor)}
    assert all(r.assigned_at is not None for r in rows)


def test_by_hand_refuses_an_answer_to_another_question_and_writes_nothing(client, world):
    elsewhere = make_response(world.student, make_question(world.module, 2))
    client.force_login(world.instructor)
    for picked in ([world.response.pk, elsewhere.pk], ["abc"], []):
        reply = client.post(
            f"/manage/{world.course.slug}/grading-team/questions/{world.question.pk}/assign/",
            {"mode": "hand", "grader": world.ta.pk, "responses": picked},
        )
        assert reply.status_code == 400
    assert not GradingAssignment.objects.exists()


def test_reassigning_moves_a_leaving_tas_ungraded_answers_evenly_and_keeps_their_graded_ones(client, world):
    ta2, ta3 = _ta(world, "ta2"), _ta(world, "ta3")
    _answers(4, world)
    assignments_round_robin(question=world.question, actor=world.instructor, graders=[world.ta],
                            scope=AssignmentScope.ALL)
    grade(world.response, world.ta)
    client.force_login(world.instructor)
    reply = client.post(f"/manage/{world.course.slug}/grading-team/reassign/",
                        {"from_grader": world.ta.pk, "to_graders": [ta2.pk, ta3.pk]}, follow=True)
    assert "Moved 5 answers" in reply.content.decode()
    assert _loads() == {"ta": 1, "ta2": 3, "ta3": 2}
    assert GradingAssignment.objects.get(response=world.response).grader == world.ta


def test_reassigning_to_the_same_grader_or_with_nothing_to_move_writes_nothing(client, world):
    client.force_login(world.instructor)
    url = f"/manage/{world.course.slug}/grading-team/reassign/"
    page = client.post(url, {"from_grader": world.ta.pk, "to_graders": [world.ta.pk]}, follow=True).content.decode()
    assert "Choose graders other than the one whose answers move." in page
    page = client.post(url, {"from_grader": world.ta.pk, "to_graders": [world.instructor.pk]},
                       follow=True).content.decode()
    assert "has no ungraded answers to move" in page
    page = client.post(url, {"from_grader": world.outsider.pk, "to_graders": [world.ta.pk]},
                       follow=True).content.decode()
    assert "not a TA or instructor of this course" in page
    assert not GradingAssignment.objects.exists()


# The TA's queue -------------------------------------------------------------------------------------------------------


def test_a_tas_queue_opens_on_assigned_to_me_and_shows_only_their_answers(client, world):
    ta2 = _ta(world, "ta2")
    assignments_by_hand(question=world.question, actor=world.instructor, response_ids=[world.response.pk],
                        grader=world.ta)
    assignments_by_hand(question=world.question, actor=world.instructor, response_ids=[world.other_response.pk],
                        grader=ta2)
    client.force_login(world.ta)
    page = client.get(f"/grading/questions/{world.question.pk}/").content.decode()
    assert 'class="current" aria-current="page">Assigned to me' in page
    assert world.response.display_pseudonym in page and world.other_response.display_pseudonym not in page
    # Asking for everything still shows everything.
    page = client.get(f"/grading/questions/{world.question.pk}/?filter=all").content.decode()
    assert world.other_response.display_pseudonym in page


def test_a_queue_without_assignments_opens_on_all(client, world):
    client.force_login(world.ta)
    page = client.get(f"/grading/questions/{world.question.pk}/").content.decode()
    assert 'class="current" aria-current="page">All submitted' in page


def test_save_and_next_prefers_my_assigned_answers_then_unassigned_ones(client, world):
    ta2 = _ta(world, "ta2")
    mine, unassigned, theirs = sorted(_answers(3, world) + [], key=lambda r: r.pseudonym)[::-1]
    assignments_by_hand(question=world.question, actor=world.instructor, response_ids=[mine.pk], grader=world.ta)
    assignments_by_hand(question=world.question, actor=world.instructor,
                        response_ids=[theirs.pk, world.response.pk, world.other_response.pk], grader=ta2)
    client.force_login(world.ta)
    data = {"band": band(world.question, "GOOD").pk, "score": 8, "version": 0, "then": "next"}
    reply = client.post(f"/grading/responses/{world.response.pk}/save/", data)
    assert reply["Location"] == f"/grading/responses/{mine.pk}/"
    reply = client.post(f"/grading/responses/{mine.pk}/save/", data)
    assert reply["Location"] == f"/grading/responses/{unassigned.pk}/"
    reply = client.post(f"/grading/responses/{unassigned.pk}/save/", data)
    # Nothing of mine or unassigned left: someone else's comes last rather than never.
    assert reply["Location"] in {f"/grading/responses/{theirs.pk}/", f"/grading/responses/{world.other_response.pk}/"}


# Progress ---------------------------------------------------------------------------------------------------------


def test_progress_counts_assigned_graded_and_left_and_flags_who_is_behind(client, world):
    ta2 = _ta(world, "ta2")
    answers = _answers(6, world)
    assignments_by_hand(question=world.question, actor=world.instructor,
                        response_ids=[world.response.pk, world.other_response.pk, answers[0].pk, answers[1].pk],
                        grader=world.ta)
    assignments_by_hand(question=world.question, actor=world.instructor,
                        response_ids=[r.pk for r in answers[2:]], grader=ta2)
    for response in (world.response, world.other_response, answers[0]):
        grade(response, world.ta)
    grade(answers[2], ta2)
    progress = {p.grader.username: p for p in course_progress(world.course)}
    assert (progress["ta"].assigned, progress["ta"].graded, progress["ta"].left) == (4, 3, 1)
    assert (progress["ta2"].assigned, progress["ta2"].graded, progress["ta2"].left) == (4, 1, 3)
    assert progress["ta2"].behind and not progress["ta"].behind

    client.force_login(world.instructor)
    page = client.get(f"/grading/{world.course.slug}/").content.decode()
    team = page[page.index('id="team"'):]
    assert '<tr class="behind">\n        <td>ta2</td>' in team
    assert "75%" in team and "25%" in team


def test_a_ta_sees_only_their_own_load_on_the_team_page(client, world):
    ta2 = _ta(world, "ta2")
    assignments_by_hand(question=world.question, actor=world.instructor, response_ids=[world.response.pk],
                        grader=ta2)
    client.force_login(world.ta)
    page = client.get(f"/manage/{world.course.slug}/grading-team/").content.decode()
    assert "Your load" in page and "ta2" not in page
    assert "Reassign" not in page
    client.force_login(ta2)
    page = client.get(f"/manage/{world.course.slug}/grading-team/").content.decode()
    assert f"/grading/questions/{world.question.pk}/?filter=assigned" in page


# Query counts -----------------------------------------------------------------------------------------------------


def _class(world, students: int) -> None:
    for i in range(students):
        _student(world, f"bulk{i:04d}")
    assignments_round_robin(question=world.question, actor=world.instructor, graders=[world.ta],
                            scope=AssignmentScope.UNASSIGNED)


@pytest.mark.parametrize("students", [10, 200])
def test_the_team_page_query_count_does_not_grow(client, world, students, django_assert_num_queries):
    _class(world, students)
    client.force_login(world.instructor)
    # session, user, staff enrollment with course, graders' progress, the questions, their answers'
    # assignment counts grouped by question, the reassign form's graders (from and to)
    with django_assert_num_queries(8):
        page = client.get(f"/manage/{world.course.slug}/grading-team/")
    assert page.status_code == 200 and f"<td class=\"num\">{students + 2}</td>" in page.content.decode()


@pytest.mark.parametrize("students", [10, 200])
def test_the_team_question_page_query_count_does_not_grow(client, world, students, django_assert_num_queries):
    _class(world, students)
    client.force_login(world.instructor)
    # session, user, staff enrollment with course, question, loads per grader, graders,
    # paginator count, one page of answers with grade and assigned grader, unassigned count
    with django_assert_num_queries(9):
        page = client.get(f"/manage/{world.course.slug}/grading-team/questions/{world.question.pk}/")
    assert page.status_code == 200
