"""Access-matrix cases for notices: everyone signed in has their own; a course's are for its staff.

A notice belongs to its recipient: anyone else opening it gets a 404. "Notices sent" goes through
the manage area's helper, so TAs read it and students and strangers get a 404.
"""

from courses.models import NoticeKind
from courses.notices import notify
from reflect_site.access import AccessCase

SIGNED_IN = {"anonymous": 302}  # the default for signed-in roles is given per case
STAFF_READ = {"anonymous": 302, "ta": 200, "instructor": 200}


def _student_notice(world) -> None:
    world.notice = notify(recipient=world.student, kind=NoticeKind.INVITATION, key="access:notice",
                          subject="Hello", body="Hello", url=f"/courses/{world.course.slug}/", course=world.course)


CASES: list[AccessCase] = [
    AccessCase("notices:list", lambda w: "/account/notices/", SIGNED_IN, default=200),
    AccessCase("notices:read", lambda w: "/account/notices/read", SIGNED_IN, method="post", data=lambda w: {},
               default=302),
    AccessCase("notices:open", lambda w: f"/account/notices/{w.notice.pk}/", {"anonymous": 302, "student": 302},
               setup=_student_notice),
    AccessCase("notices:preferences", lambda w: "/account/notices/preferences/", SIGNED_IN, default=200),
    AccessCase("notices:preferences", lambda w: "/account/notices/preferences/", SIGNED_IN, method="post",
               data=lambda w: {"deadline_reminders": "on"}, default=302),
    AccessCase("notices:course", lambda w: f"/manage/{w.course.slug}/notices/", STAFF_READ),
    AccessCase("notices:course", lambda w: f"/manage/{w.other_course.slug}/notices/",
               {"anonymous": 302, "other_ta": 200}),
]
