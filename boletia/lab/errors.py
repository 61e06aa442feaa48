"""The one error type of the lab."""


class LabError(Exception):
    """A failure the student can act on: the message says what happened and what to do."""
