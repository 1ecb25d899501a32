"""File names inside a run directory, shared by the runner, the plugins and the reports."""

CSV_PREFIX = "locust"  # Locust adds _stats.csv, _stats_history.csv, _failures.csv
STATS_CSV = "locust_stats.csv"
HISTORY_CSV = "locust_stats_history.csv"
FAILURES_CSV = "locust_failures.csv"
HTML_REPORT = "locust_report.html"
JSON_STATS = "locust_stats.json"
JSON_STATS_ARG = "locust_stats"  # --json-file adds the .json itself
SLO_VERDICT = "locust_slo.json"  # the SLO plugin: <csv prefix>_slo.json
CAPACITY_RESULT = "locust_capacity.json"  # the capacity shape: <csv prefix>_capacity.json
