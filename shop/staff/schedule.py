"""Schedules on the staff desk: a rep's own hours and booking rules; the managers' team week.

Reps edit their own schedule; managers edit any rep's (`?rep=<id>`) and see the whole team's
week. Support staff take no bookings and have neither page.
"""

from datetime import date, timedelta

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from shop.auth.models import User
from shop.auth.roles import Permission, Role, can
from shop.auth.session import permission_required
from shop.consultations import schedule_services as rules
from shop.consultations.forms import zone_choices
from shop.consultations.models import RepSchedule
from shop.consultations.schedule_forms import (
    ExceptionForm,
    RemoveForm,
    SettingsForm,
    TimeOffForm,
    WeeklyHoursForm,
)
from shop.consultations.services import CHANNELS
from shop.db import utcnow
from shop.errors import DomainError, NotFound
from shop.extensions import db
from shop.unit_of_work import refusals
from shop.web import parse_id

# Nested in the staff blueprint (shop/staff/views.py): endpoints are staff.schedule.<view>.
bp = Blueprint("schedule", __name__)

SECTIONS = ("settings", "hours", "exception", "remove_exception", "time_off", "remove_time_off")


def _is_manager() -> bool:
    """Any rep's schedule and the team's week, not only one's own."""
    return can(current_user.role, Permission.MANAGE_STAFF)


def _rep_to_edit() -> User | None:
    """Whose schedule this page is about; None when a manager has not chosen a rep yet."""
    raw = request.args.get("rep")
    if not _is_manager():
        if raw is not None and parse_id(raw) != current_user.id:
            raise NotFound("No such rep.")
        return current_user._get_current_object()
    if not raw:
        return None
    rep_id = parse_id(raw)
    rep = db.session.get(User, rep_id) if rep_id else None
    if rep is None or rep.role != Role.REP.value:
        raise NotFound("No such rep.")
    return rep


def _all_reps() -> list[User]:
    return list(
        db.session.scalars(sa.select(User).where(User.role == Role.REP.value).order_by(User.name))
    )


def _settings_data(rep: User, schedule: RepSchedule | None) -> dict:
    def value(name: str):
        if schedule is not None:
            return getattr(schedule, name)
        return RepSchedule.__table__.c[name].default.arg  # the column defaults

    return {
        "timezone": rep.timezone,
        "meeting_minutes": value("meeting_minutes"),
        "min_notice_hours": value("min_notice_minutes") // 60,
        "buffer_minutes": value("buffer_minutes"),
        "window_days": value("window_days"),
        "daily_cap": value("daily_cap"),
        "accepts_bookings": value("accepts_bookings"),
    }


def _forms(rep: User, schedule: RepSchedule | None, posted: str | None) -> dict:
    """Every form on the page: the posted one reads the request, the others show what is saved."""

    def make(section: str, cls, **data):
        if section == posted:
            return cls()
        return cls(formdata=None, data=data)

    forms = {
        "settings": make("settings", SettingsForm, **_settings_data(rep, schedule)),
        "hours": make(
            "hours", WeeklyHoursForm, **WeeklyHoursForm.data_for(rules.weekly_hours(rep.id))
        ),
        "exception": make("exception", ExceptionForm),
        "time_off": make("time_off", TimeOffForm),
    }
    forms["settings"].timezone.choices = zone_choices(rep.timezone)
    return forms


def _apply(rep: User, section: str, forms: dict):
    """Run the posted section's change. Returns the Change, or None when the form was refused."""
    actor = current_user._get_current_object()
    now = utcnow()
    if section in ("remove_exception", "remove_time_off"):
        form = RemoveForm()
        item_id = parse_id(form.item_id.data) if form.validate() else None
        if item_id is None:
            abort(400)
        remove = rules.remove_exception if section == "remove_exception" else rules.remove_time_off
        return remove(rep, actor, item_id)

    form = forms[section]
    if not form.validate():
        return None
    # A refusal stands next to its field, or above the form when it names none.
    with refusals(form):
        if section == "settings":
            return rules.save_settings(
                rep,
                actor,
                rules.Settings(
                    timezone=form.timezone.data,
                    meeting_minutes=form.meeting_minutes.data,
                    min_notice_hours=form.min_notice_hours.data,
                    buffer_minutes=form.buffer_minutes.data,
                    window_days=form.window_days.data,
                    daily_cap=form.daily_cap.data,
                    accepts_bookings=form.accepts_bookings.data,
                ),
            )
        if section == "hours":
            return rules.replace_weekly_hours(rep, actor, form.week())
        if section == "exception":
            return rules.add_exception(
                rep, actor, form.exc_day.data, form.hours(), now, form.exc_note.data or ""
            )
        return rules.add_time_off(
            rep, actor, form.off_starts.data, form.off_ends.data, now, form.off_note.data or ""
        )
    return None


@bp.route("/schedule", methods=["GET", "POST"])
@permission_required(Permission.TAKE_BOOKINGS)
def schedule():
    rep = _rep_to_edit()
    is_manager = _is_manager()
    if rep is None:
        return render_template("staff/schedule.html", rep=None, reps=_all_reps())

    section = request.form.get("section") if request.method == "POST" else None
    if request.method == "POST" and section not in SECTIONS:
        abort(400)
    schedule_row = rules.schedule_of(rep.id)
    forms = _forms(rep, schedule_row, section)
    status = 200
    if section is not None:
        change = _apply(rep, section, forms)  # audited by the service
        if change is not None:
            flash(change.summary, "success")
            anchor = section.removeprefix("remove_").replace("_", "-")
            target = url_for("staff.schedule.schedule", rep=rep.id if is_manager else None)
            return redirect(f"{target}#{anchor}", 303)
        status = 400
        schedule_row = rules.schedule_of(rep.id)

    now = utcnow()
    return (
        render_template(
            "staff/schedule.html",
            rep=rep,
            reps=_all_reps() if is_manager else [],
            is_manager=is_manager,
            schedule=schedule_row,
            forms=forms,
            remove_form=RemoveForm(formdata=None),
            weekly_summary=rules.summarize_week(rules.weekly_hours(rep.id)),
            exceptions=rules.upcoming_exceptions(rep, now),
            time_off=rules.upcoming_time_off(rep.id, now),
            zone=_zone(rep),
            preview=rules.preview(rep, now),
            preview_days=rules.PREVIEW_DAYS,
        ),
        status,
    )


def _zone(rep: User):
    try:
        return rules.check_zone(rep.timezone)
    except DomainError:
        return rules.check_zone("UTC")


def _week_arg(value: str | None, today: date) -> date:
    """The Monday of the week asked for (`?week=YYYY-MM-DD`, any day of it), else this week."""
    try:
        day = date.fromisoformat((value or "").strip())
    except ValueError:
        day = today
    if not 1900 <= day.year <= 9000:
        day = today
    return rules.monday_of(day)


@bp.route("/calendar")
@permission_required(Permission.MANAGE_STAFF)
def calendar():
    today = utcnow().astimezone(_zone(current_user)).date()
    monday = _week_arg(request.args.get("week"), today)
    return render_template(
        "staff/calendar.html",
        monday=monday,
        days=[monday + timedelta(days=i) for i in range(7)],
        today=today,
        previous_week=monday - timedelta(days=7),
        next_week=monday + timedelta(days=7),
        this_week=rules.monday_of(today),
        weeks=rules.team_week(monday),
        channels=CHANNELS,
    )
