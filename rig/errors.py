"""The one exception type the `rig` command turns into a clear message instead of a traceback."""


class RigError(Exception):
    """A problem the user can act on; the message says what to do."""
