"""The rig's workload: JSON-document API users plus the rig's plugins.

locust --config loadgen/scenarios/post_15k.conf --host http://127.0.0.1:8000
"""

import sys
from pathlib import Path

# Locust puts this file's folder on sys.path, not the checkout; `loadgen` must import from
# a plain checkout too (lab hosts run it without installing the package).
sys.path.insert(1, str(Path(__file__).resolve().parent.parent))

from loadgen.plugins import (  # noqa: F401  (importing a plugin enables it)
    gc_pauses,
    heartbeat,
    outputs,
    prometheus_exporter,
    resolver,
    saturation,
    seeding,
    slo,
)
from loadgen.users import JsonApiUser  # noqa: F401
