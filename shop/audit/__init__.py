"""The append-only record of staff actions: who, role, when, what, before, after, why, where."""
