"""The investigator web app."""
