from django.apps import AppConfig


class GradingConfig(AppConfig):
    name = "grading"
    verbose_name = "Grading"

    def ready(self) -> None:
        from courses.signals import rubric_changed, rubric_changing
        from grading import receivers

        rubric_changing.connect(receivers.flag_grades_before_rubric_change,
                                dispatch_uid="grading.flag_grades_before_rubric_change")
        rubric_changed.connect(receivers.realign_grades_after_rubric_change,
                               dispatch_uid="grading.realign_grades_after_rubric_change")
