"""Consultations: reps' availability, slots, bookings, routing, reminders, calendar invites."""
