"""Access-matrix cases for the authoring pages: instructors of the course only.

A TA of the course gets a 404 like a stranger: authoring is not part of their
view of the course, and the access helper puts the instructor role in the query.
"""

from reflect_site.access import AccessCase

INSTRUCTOR_ONLY = {"anonymous": 302, "instructor": 200}
# A POST without files re-shows the form with its error.
INSTRUCTOR_ONLY_INVALID = {"anonymous": 302, "instructor": 400}

CASES: list[AccessCase] = [
    AccessCase("authoring:import", lambda w: f"/authoring/{w.course.slug}/import/", INSTRUCTOR_ONLY),
    AccessCase("authoring:import", lambda w: f"/authoring/{w.course.slug}/import/", INSTRUCTOR_ONLY_INVALID,
               method="post", data=lambda w: {"module": ""}),
    AccessCase("authoring:export", lambda w: f"/authoring/{w.course.slug}/{w.module.slug}/export/", INSTRUCTOR_ONLY),
    AccessCase("authoring:export", lambda w: f"/authoring/{w.other_course.slug}/{w.module.slug}/export/",
               {"anonymous": 302}),
]
