"""The release confirmation's form: what to do, the explicit confirmation, and a time in the course's zone."""

from __future__ import annotations

import zoneinfo
from datetime import datetime

from django import forms

RELEASE = "release"
WITHDRAW = "withdraw"
SCHEDULE = "schedule"
CANCEL = "cancel"
ACTIONS = [(RELEASE, "Release now"), (WITHDRAW, "Withdraw"), (SCHEDULE, "Schedule"), (CANCEL, "Cancel the schedule")]
NOT_CONFIRMED = "Nothing was changed: confirm on this page, after checking what will change."


class ReleaseConfirmForm(forms.Form):
    """Posted by the confirmation page. `when` is the date and time read in the course's time zone."""

    action = forms.ChoiceField(choices=ACTIONS, error_messages={
        "required": "Choose release, withdraw or schedule.", "invalid_choice": "Choose release, withdraw or schedule.",
    })
    confirm = forms.BooleanField(error_messages={"required": NOT_CONFIRMED})
    date = forms.DateField(required=False, error_messages={"invalid": "Enter the date as YYYY-MM-DD."})
    time = forms.TimeField(required=False, error_messages={"invalid": "Enter the time as HH:MM (24-hour clock)."})

    def __init__(self, *args, time_zone: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.zone = zoneinfo.ZoneInfo(time_zone)

    def clean(self):
        data = super().clean()
        if data.get("action") == SCHEDULE and not self.errors:
            if data.get("date") is None or data.get("time") is None:
                raise forms.ValidationError("Give the date and the time to release at.")
            data["when"] = datetime.combine(data["date"], data["time"]).replace(tzinfo=self.zone)
        return data
