"""The exceptions a user can act on; the `rig` command prints their message, not a traceback."""


class RigError(Exception):
    """A problem the user can act on; the message says what to do."""


class RunDirError(RigError):
    """The run directory lacks something its reader cannot do without."""
