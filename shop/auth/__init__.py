"""Accounts, login and logout, roles and permission checks."""
