"""The rig's plugins without its users: loaded beside a locustfile that knows nothing of the rig.

    locust -f my_locustfile.py,loadgen/rig_plugins.py --host http://my-service:8080

gives any locustfile the run directory's outputs, the Prometheus exporter (port 9646), the SLO
gates and the load-generator saturation guard. Seeding is left out: it writes the bundled
API's documents, which another service does not have.
"""

import sys
from pathlib import Path

# Locust puts this file's folder on sys.path, not the checkout (see loadgen/locustfile.py).
sys.path.insert(1, str(Path(__file__).resolve().parent.parent))

from loadgen.plugins import (  # noqa: F401  (importing a plugin enables it)
    gc_pauses,
    outputs,
    prometheus_exporter,
    resolver,
    saturation,
    slo,
)
