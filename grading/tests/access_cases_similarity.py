"""Access-matrix cases for the near-duplicate pages: the course's staff only; students and strangers get 404."""

from grading.models import SimilarPair
from reflect_site.access import AccessCase

STAFF_PAGE = {"anonymous": 302, "ta": 200, "instructor": 200}
STAFF_POST = {"anonymous": 302, "ta": 302, "instructor": 302}


def flagged_pair(world) -> SimilarPair:
    """The student's and the other student's answers, flagged as a pair."""
    return SimilarPair.objects.create(question=world.question, response_a=world.response,
                                      response_b=world.other_response, similarity=0.8)


def _pair(w) -> int:
    return SimilarPair.objects.get(question=w.question).pk


CASES: list[AccessCase] = [
    AccessCase("grading:similar_pairs", lambda w: f"/grading/questions/{w.question.pk}/similar/", STAFF_PAGE,
               setup=flagged_pair),
    AccessCase("grading:similar_check", lambda w: f"/grading/questions/{w.question.pk}/similar/check/", STAFF_POST,
               method="post", data=lambda w: {"threshold": "0.5"}),
    AccessCase("grading:similar_pair", lambda w: f"/grading/similar-pairs/{_pair(w)}/", STAFF_PAGE,
               setup=flagged_pair),
    AccessCase("grading:similar_review", lambda w: f"/grading/similar-pairs/{_pair(w)}/review/", STAFF_POST,
               method="post", data=lambda w: {"reviewed": "on", "note": "Read both; different examples."},
               setup=flagged_pair),
]
