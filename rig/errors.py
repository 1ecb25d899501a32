"""The one exception type the `rig` command turns into a clear message instead of a traceback.

It lives in rundir, the package every part may import, so the load generator raises the same
type without importing rig.
"""

from rundir.errors import RigError

__all__ = ["RigError"]
