"""The `rig` command and the glue shared by the rig's parts."""

import os

# As in app/__init__.py, before anything imports prometheus-client (it picks its mode once, at
# import): an empty PROMETHEUS_MULTIPROC_DIR means "none" to the rig and the API's launchers,
# but prometheus-client would take it as multiprocess mode writing files into the cwd. Here
# too, because the rig's own modules import prometheus-client before the app package.
if os.environ.get("PROMETHEUS_MULTIPROC_DIR") == "":
    del os.environ["PROMETHEUS_MULTIPROC_DIR"]
