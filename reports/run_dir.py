"""The report's view of a run directory: rundir's reader and file names, the table's columns.

The format itself (file names, run.json, the window) belongs to the rundir package.
"""

from rundir.errors import RunDirError
from rundir.files import (
    CHARTS_DIR,
    FAILURES_CSV,
    HISTORY_CSV,
    METRICS_JSON,
    REPORT_JSON,
    RUN_JSON,
    SAMPLES_CSV,
    SLO_FILES,
    STATS_CSV,
    SUMMARY_MD,
)
from rundir.load import Run, load, read_csv, read_json, write_json

__all__ = [
    "CHARTS_DIR",
    "FAILURES_CSV",
    "HISTORY_CSV",
    "METRICS_JSON",
    "REPORT_JSON",
    "RUN_JSON",
    "SAMPLES_CSV",
    "SLO_FILES",
    "STATS_CSV",
    "SUMMARY_MD",
    "TABLE_COLUMNS",
    "Run",
    "RunDirError",
    "load",
    "read_csv",
    "read_json",
    "write_json",
]

# Columns of the summary table, in the seed's order, and the locust_stats.csv column behind each.
TABLE_COLUMNS = [
    ("Type", "Type"),
    ("Name", "Name"),
    ("# Requests", "Request Count"),
    ("# Fails", "Failure Count"),
    ("Median", "Median Response Time"),
    ("90%ile", "90%"),
    ("95%ile", "95%"),
    ("99%ile", "99%"),
    ("Average", "Average Response Time"),
    ("Min", "Min Response Time"),
    ("Max", "Max Response Time"),
    ("Average size", "Average Content Size"),
    ("RPS", "Requests/s"),
    ("Failures/s", "Failures/s"),
]
