"""Forms of a rep's schedule page: they validate and never write.

Several forms share one page, so every field name is unique on it (no prefixes: the CSRF token
keeps its usual name). Times are HH:MM strings from `<input type="time">`, parsed here so a
malformed one gets a plain message.
"""

import re
from datetime import time
from itertools import pairwise

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    DateTimeLocalField,
    HiddenField,
    IntegerField,
    RadioField,
    SelectField,
    StringField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    ValidationError,
)

from shop.consultations.schedule_services import (
    LIMITS,
    STRETCHES_PER_DAY,
    WEEKDAYS,
    Stretch,
    check_zone,
)
from shop.errors import DomainError
from shop.timefmt import span

TIME_RE = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)(?::([0-5]\d))?$")
BAD_TIME = "Use a time like 09:00."
ORDINALS = ["First", "Second", "Third"]


def _strip(value):
    return value.strip() if isinstance(value, str) else value


def parse_time(text: str | None) -> time | None:
    """'09:30' (or '09:30:00') as a time; None when empty; ValueError when malformed."""
    text = (text or "").strip()
    if not text:
        return None
    match = TIME_RE.match(text)
    if not match:
        raise ValueError(BAD_TIME)
    return time(int(match.group(1)), int(match.group(2)))


def _time_field(label: str) -> StringField:
    return StringField(
        label, filters=[_strip], validators=[Length(max=8)], render_kw={"type": "time"}
    )


def _limit(name: str, label: str, description: str = "") -> IntegerField:
    low, high, message = LIMITS[name]
    return IntegerField(
        label,
        validators=[
            InputRequired(message="Enter a whole number."),
            NumberRange(min=low, max=high, message=message),
        ],
        description=description,
        render_kw={"min": low, "max": high, "inputmode": "numeric"},
    )


class SettingsForm(FlaskForm):
    timezone = SelectField(
        "Time zone",
        validate_choice=False,  # checked against the IANA database below, with a clear message
        validators=[DataRequired(message="Choose a time zone from the list.")],
        description="Weekly hours and exceptions are read on this clock.",
    )
    meeting_minutes = _limit("meeting_minutes", "Meeting length (minutes)")
    min_notice_hours = _limit(
        "min_notice_hours",
        "Minimum notice (hours)",
        "Buyers cannot book a time sooner than this.",
    )
    buffer_minutes = _limit(
        "buffer_minutes", "Buffer between meetings (minutes)", "Kept free before and after."
    )
    window_days = _limit("window_days", "Booking window (days ahead)")
    daily_cap = _limit("daily_cap", "Daily cap (meetings a day)")
    accepts_bookings = BooleanField("Taking bookings")

    def validate_timezone(self, field) -> None:
        try:
            check_zone(field.data)
        except DomainError as exc:
            raise ValidationError(exc.message) from exc


def _hours_name(weekday: int, n: int, end: str) -> str:
    return f"d{weekday}_{n}_{end}"


class WeeklyHoursForm(FlaskForm):
    """Up to two stretches for each day, Monday to Sunday; empty means not working."""

    def rows(self):
        """(weekday name, [(start field, end field) per stretch]) for each day."""
        return [
            (
                name,
                [
                    (self[_hours_name(d, n, "start")], self[_hours_name(d, n, "end")])
                    for n in range(1, STRETCHES_PER_DAY + 1)
                ],
            )
            for d, name in enumerate(WEEKDAYS)
        ]

    def week(self) -> dict[int, list[Stretch]]:
        """The stretches entered (call after validate)."""
        week: dict[int, list[Stretch]] = {}
        for d in range(7):
            for n in range(1, STRETCHES_PER_DAY + 1):
                starts = parse_time(self[_hours_name(d, n, "start")].data)
                ends = parse_time(self[_hours_name(d, n, "end")].data)
                if starts is not None and ends is not None:
                    week.setdefault(d, []).append((starts, ends))
        return week

    @classmethod
    def data_for(cls, week: dict[int, list[Stretch]]) -> dict[str, str]:
        """Field values showing a saved week."""
        data = {}
        for d, stretches in week.items():
            for n, (starts, ends) in enumerate(stretches[:STRETCHES_PER_DAY], start=1):
                data[_hours_name(d, n, "start")] = starts.isoformat("minutes")
                data[_hours_name(d, n, "end")] = ends.isoformat("minutes")
        return data

    def validate(self, extra_validators=None) -> bool:
        ok = super().validate(extra_validators)
        for d, name in enumerate(WEEKDAYS):
            stretches: list[tuple[Stretch, StringField]] = []
            for n in range(1, STRETCHES_PER_DAY + 1):
                start_field = self[_hours_name(d, n, "start")]
                end_field = self[_hours_name(d, n, "end")]
                try:
                    starts = parse_time(start_field.data)
                except ValueError:
                    start_field.errors.append(BAD_TIME)
                    ok, starts = False, None
                try:
                    ends = parse_time(end_field.data)
                except ValueError:
                    end_field.errors.append(BAD_TIME)
                    ok, ends = False, None
                if start_field.errors or end_field.errors:
                    continue
                if (starts is None) != (ends is None):
                    missing = start_field if starts is None else end_field
                    missing.errors.append("Give both a start and an end, or neither.")
                    ok = False
                elif starts is not None and ends is not None:
                    if ends <= starts:
                        end_field.errors.append("Must end after it starts.")
                        ok = False
                    else:
                        stretches.append(((starts, ends), start_field))
            stretches.sort(key=lambda item: item[0])
            for (first, _), (second, second_field) in pairwise(stretches):
                if second[0] < first[1]:
                    second_field.errors.append(f"Overlaps {name}'s other stretch ({span(*first)}).")
                    ok = False
        return ok


for _d, _name in enumerate(WEEKDAYS):
    for _n in range(1, STRETCHES_PER_DAY + 1):
        _which = ORDINALS[_n - 1].lower()
        setattr(
            WeeklyHoursForm,
            _hours_name(_d, _n, "start"),
            _time_field(f"{_name}, {_which} stretch starts"),
        )
        setattr(
            WeeklyHoursForm,
            _hours_name(_d, _n, "end"),
            _time_field(f"{_name}, {_which} stretch ends"),
        )


class ExceptionForm(FlaskForm):
    exc_day = DateField(
        "Date",
        validators=[InputRequired(message="Choose a date.")],
        render_kw={"type": "date"},
    )
    exc_kind = RadioField(
        "That day",
        choices=[SelectChoice("off", "Day off"), SelectChoice("hours", "Other hours")],
        default="off",
        validators=[DataRequired(message="Choose a day off or other hours.")],
    )
    exc_start = _time_field("From")
    exc_end = _time_field("Until")
    exc_note = StringField(
        "Note (optional)", filters=[_strip], validators=[Optional(), Length(max=200)]
    )

    def hours(self) -> Stretch | None:
        """None for a day off, else the hours given (call after validate)."""
        if self.exc_kind.data != "hours":
            return None
        return parse_time(self.exc_start.data), parse_time(self.exc_end.data)

    def validate(self, extra_validators=None) -> bool:
        ok = super().validate(extra_validators)
        if self.exc_kind.data != "hours":
            return ok
        times = {}
        for f in (self.exc_start, self.exc_end):
            try:
                times[f.name] = parse_time(f.data)
            except ValueError:
                f.errors.append(BAD_TIME)
                ok = False
                continue
            if times[f.name] is None:
                f.errors.append("Give the hours for that day.")
                ok = False
        starts, ends = times.get("exc_start"), times.get("exc_end")
        if starts is not None and ends is not None and ends <= starts:
            self.exc_end.errors.append("Must end after it starts.")
            ok = False
        return ok


class TimeOffForm(FlaskForm):
    off_starts = DateTimeLocalField(
        "Starts",
        format=["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M"],
        validators=[InputRequired(message="Give the date and time it starts.")],
    )
    off_ends = DateTimeLocalField(
        "Ends",
        format=["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M"],
        validators=[InputRequired(message="Give the date and time it ends.")],
    )
    off_note = StringField(
        "Note (optional)", filters=[_strip], validators=[Optional(), Length(max=200)]
    )

    def validate_off_ends(self, field) -> None:
        if self.off_starts.data and field.data and field.data <= self.off_starts.data:
            raise ValidationError("Must end after it starts.")


class RemoveForm(FlaskForm):
    """The remove button beside an exception or a stretch of time off."""

    item_id = HiddenField(validators=[DataRequired()])
