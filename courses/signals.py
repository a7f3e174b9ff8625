"""Signals courses sends so that apps built on it (grading) can react without courses importing them.

`rubric_changing` is sent inside the transaction, just before a graded question's points,
rubric kind, bands or criteria are written; `rubric_changed` just after. Both carry `question`,
`actor` and `reason`; `rubric_changing` may carry `before`, the rubric as it was checked
(courses.questions.rubric_snapshot) when the question row is already saved. A receiver of
`rubric_changing` returns how many grades it flagged; courses itself receives it to keep the
old rubric as a RubricVersion (courses.questions.version_rubric_before_change).

`student_grades_wanted` is sent when a student's page shows their grades: with `student` and
`questions`, a receiver returns {question id: grade} of the grades the student may see.
`student_grade_page_wanted` is sent by the student's response page with `response`; a receiver
returns the context of templates/grading/_student_grade.html. Grading answers both, and is the
one place that decides what a student sees of a grade (release, withdrawal, regrades).

`course_copied` is sent inside the copy's transaction (courses.copy.course_copy), after the course,
modules, questions and bands are written; it carries `source`, `copy`, `actor` and `questions` (the
source question's id → its copy). `course_copy_counting` is sent by the copy's preview with `source`;
a receiver returns {label: count} of what it will copy.

`demo_loaded` is sent at the end of courses.demo.loader.demo_load, inside its transaction, with `course`
and `people` (username → user); a receiver sets up its part of the demo idempotently and returns the
lines to print.
"""

from django.dispatch import Signal

rubric_changing = Signal()
rubric_changed = Signal()
student_grades_wanted = Signal()
student_grade_page_wanted = Signal()
course_copied = Signal()
course_copy_counting = Signal()
demo_loaded = Signal()
