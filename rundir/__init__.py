"""The run directory's format: file names, run.json (RunInfo), the load window, the fingerprint.

The one writer of run.json for `rig local` and the benchmark role (through `rig run-info`),
and the one reader for the report. It imports neither Flask nor Locust, so the load
generators' hosts and the controller share it.
"""
