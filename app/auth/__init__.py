"""Investigator logins, roles and password checks."""
