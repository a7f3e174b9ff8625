"""Access-matrix cases for the student pages (see reflect_site/access.py)."""

import json

from courses.tests.factories import words
from reflect_site.access import AccessCase

SIGNED_IN = {"anonymous": 302, "student": 200, "other_student": 200, "ta": 200, "instructor": 200,
             "outsider": 200, "other_ta": 200}
MEMBERS = {"anonymous": 302, "student": 200, "other_student": 200, "ta": 200, "instructor": 200}
# Only students of the course answer; staff and strangers get 404 for the answer endpoints.
STUDENTS = {"anonymous": 302, "student": 200, "other_student": 200}
OWNER = {"anonymous": 302, "student": 200}

def _a_revision(world) -> None:
    """An earlier text in the student's history, for the restore case."""
    from courses.models import ResponseRevision, RevisionKind

    ResponseRevision.objects.create(response=world.response, kind=RevisionKind.AUTOSAVE, text="an earlier draft",
                                    word_count=3, base_version=0, version=1)


def _restore_data(world) -> dict:
    return {"revision": world.response.revisions.get().pk, "version": world.response.version}


CASES: list[AccessCase] = [
    AccessCase("courses:dashboard", lambda w: "/", SIGNED_IN),
    AccessCase("courses:course", lambda w: f"/courses/{w.course.slug}/", MEMBERS),
    AccessCase("courses:module", lambda w: f"/courses/{w.course.slug}/{w.module.slug}/", MEMBERS),
    AccessCase("courses:question", lambda w: f"/questions/{w.question.pk}/", MEMBERS),
    AccessCase(
        "courses:answer_save", lambda w: f"/questions/{w.question.pk}/save", STUDENTS, method="post",
        data=lambda w: json.dumps({"text": "a draft", "version": 1}), content_type="application/json",
    ),
    AccessCase(
        "courses:answer_submit", lambda w: f"/questions/{w.question.pk}/submit",
        {"anonymous": 302, "student": 302, "other_student": 302}, method="post",
        data=lambda w: {"text": words(200), "version": 1},
    ),
    AccessCase("courses:response", lambda w: f"/responses/{w.response.pk}/", OWNER),
    # Only the owner restores from their history (a redirect to the question); anyone else's is a 404.
    AccessCase("courses:response_restore", lambda w: f"/responses/{w.response.pk}/restore",
               {"anonymous": 302, "student": 302}, method="post", data=_restore_data, setup=_a_revision),
]
