from django.apps import AppConfig


class GradingConfig(AppConfig):
    name = "grading"
    verbose_name = "Grading"

    def ready(self) -> None:
        from django.db.models.signals import post_save

        from courses.lti.models import LtiIdentity
        from courses.signals import (
            course_copied,
            course_copy_counting,
            demo_loaded,
            rubric_changed,
            rubric_changing,
            student_grade_page_wanted,
            student_grades_wanted,
        )
        from grading import passback, receivers
        from grading.models import Grade, ReleaseEvent

        rubric_changing.connect(receivers.flag_grades_before_rubric_change,
                                dispatch_uid="grading.flag_grades_before_rubric_change")
        rubric_changed.connect(receivers.realign_grades_after_rubric_change,
                               dispatch_uid="grading.realign_grades_after_rubric_change")
        course_copied.connect(receivers.copy_comment_bank, dispatch_uid="grading.copy_comment_bank")
        course_copy_counting.connect(receivers.count_comment_bank, dispatch_uid="grading.count_comment_bank")
        student_grades_wanted.connect(receivers.released_grades, dispatch_uid="grading.released_grades")
        student_grade_page_wanted.connect(receivers.student_grade_page, dispatch_uid="grading.student_grade_page")
        demo_loaded.connect(receivers.demo_fairness, dispatch_uid="grading.demo_fairness")
        # LTI grade passback: every release and withdrawal, whichever path made it (grading/passback.py).
        post_save.connect(passback.release_event_saved, sender=ReleaseEvent, dispatch_uid="grading.passback")
        post_save.connect(passback.grade_saved, sender=Grade, dispatch_uid="grading.passback_regrade")
        post_save.connect(passback.identity_saved, sender=LtiIdentity, dispatch_uid="grading.passback_identity")
