"""Errors that the command line and the web app turn into one clear message."""


class HydrascopeError(Exception):
    """An expected failure with a message meant for the person at the keyboard."""


class ConfigError(HydrascopeError):
    """The environment asks for something that cannot work."""


class GraphUnavailable(HydrascopeError):
    """Neo4j does not answer."""
