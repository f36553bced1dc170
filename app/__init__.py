"""Hydrascope: find and explain coordinated fake-account networks."""

__version__ = "0.1.0"
