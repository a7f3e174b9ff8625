"""Two graders saving the same response at the same instant, on two real PostgreSQL connections."""

import threading

import pytest
from django.db import connection

from grading.models import Grade, GradeEvent, GradeEventKind
from grading.services import GradeConflict, grade_save
from grading.tests.helpers import band, grade


def _race(world, base_version: int) -> list:
    """Both graders save against `base_version` once a barrier lets them go together; returns their outcomes."""
    barrier = threading.Barrier(2)
    outcomes: list = [None, None]
    plans = [(0, world.ta, "GOOD", 8), (1, world.instructor, "SATISFACTORY", 5)]

    def save(slot, actor, label, score):
        try:
            barrier.wait(timeout=10)
            outcomes[slot] = grade_save(
                response_id=world.response.pk, actor=actor, band_id=band(world.question, label).pk, score=score,
                feedback=f"{actor.username} says {score}", base_version=base_version,
            )
        except GradeConflict as conflict:
            outcomes[slot] = conflict
        except Exception as error:  # surfaced by the assertions below rather than lost in the thread
            outcomes[slot] = error
        finally:
            connection.close()  # each thread had its own connection

    threads = [threading.Thread(target=save, args=plan) for plan in plans]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return outcomes


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_of_two_simultaneous_saves_on_version_1_exactly_one_applies(world):
    grade(world.response, world.ta, score=9)
    for round_number in range(1, 6):
        before = Grade.objects.get(response=world.response)
        outcomes = _race(world, base_version=before.version)
        applied = [o for o in outcomes if isinstance(o, Grade)]
        refused = [o for o in outcomes if isinstance(o, GradeConflict)]
        assert len(applied) == 1 and len(refused) == 1, f"round {round_number}: {outcomes!r}"
        # The loser is shown the winner's grade as it now stands.
        assert refused[0].current.version == before.version + 1
        assert refused[0].current.score == applied[0].score
        after = Grade.objects.get(response=world.response)
        assert after.version == before.version + 1 and after.score == applied[0].score
        events = list(GradeEvent.objects.filter(response=world.response, version=after.version))
        assert sorted(e.kind for e in events) == sorted([GradeEventKind.CHANGED, GradeEventKind.CONFLICT_REFUSED])
    assert GradeEvent.objects.filter(kind=GradeEventKind.CHANGED).count() == 5
    assert GradeEvent.objects.filter(kind=GradeEventKind.CONFLICT_REFUSED).count() == 5


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_two_first_grades_at_once_create_one_grade_and_one_conflict(world):
    outcomes = _race(world, base_version=0)
    assert sum(isinstance(o, Grade) for o in outcomes) == 1
    assert sum(isinstance(o, GradeConflict) for o in outcomes) == 1
    assert Grade.objects.filter(response=world.response).count() == 1
    assert GradeEvent.objects.filter(response=world.response, kind=GradeEventKind.GRADED).count() == 1
