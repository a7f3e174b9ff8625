"""Access-matrix cases for the gradebook, its export and analytics: the course's TAs and instructors only."""

from reflect_site.access import AccessCase

# TAs are course staff and see the gradebook too; a TA of another course, students and outsiders get 404.
COURSE_STAFF = {"anonymous": 302, "ta": 200, "instructor": 200}

CASES: list[AccessCase] = [
    AccessCase("grading:gradebook", lambda w: f"/grading/{w.course.slug}/gradebook/", COURSE_STAFF),
    AccessCase("grading:gradebook_export", lambda w: f"/grading/{w.course.slug}/gradebook/export/?format=csv",
               COURSE_STAFF),
    AccessCase("grading:gradebook_export", lambda w: f"/grading/{w.course.slug}/gradebook/export/?format=canvas",
               COURSE_STAFF),
    AccessCase("grading:analytics", lambda w: f"/grading/{w.course.slug}/analytics/", COURSE_STAFF),
    # The other course's own TA is staff there, but these pages are per course: this course stays hidden.
    AccessCase("grading:gradebook", lambda w: f"/grading/{w.other_course.slug}/gradebook/",
               {"anonymous": 302, "other_ta": 200}),
]
