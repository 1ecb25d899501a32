"""File names inside a run directory, shared by the load generator, `rig` and the report."""

RUN_JSON = "run.json"  # RunInfo: written once, by this package; never edited afterwards

# Locust's outputs (--csv PREFIX adds _stats.csv, _stats_history.csv, _failures.csv).
CSV_PREFIX = "locust"
STATS_CSV = "locust_stats.csv"
HISTORY_CSV = "locust_stats_history.csv"
FAILURES_CSV = "locust_failures.csv"
HTML_REPORT = "locust_report.html"
JSON_STATS = "locust_stats.json"
JSON_STATS_ARG = "locust_stats"  # --json-file adds the .json itself
SLO_VERDICT = "locust_slo.json"  # the SLO plugin: <csv prefix>_slo.json
CAPACITY_RESULT = "locust_capacity.json"  # the capacity shape: <csv prefix>_capacity.json
# The SLO verdict under its current and its earlier name; the first one present wins.
SLO_FILES = (SLO_VERDICT, "slo.json")

# `rig local` without Prometheus: psutil samples, one row per host and second.
SAMPLES_CSV = "samples.csv"
# The canary's figures (a fixed workload run before the benchmark): `rig canary`.
CANARY_JSON = "canary.json"
LOGS_DIR = "logs"

# The report's outputs.
METRICS_JSON = "metrics.json"
REPORT_JSON = "report.json"  # verdicts, key figures, regressions
SUMMARY_MD = "summary.md"
CHARTS_DIR = "charts"
