"""Gives every headless run a run directory: CSVs with full history, HTML and JSON reports.

When the command line names no --csv, the master (or single process) writes into
--run-dir (default results/<UTC time>/) with the file names of loadgen.runner.

Locust rewrites its CSVs once a second and not at exit, so they can miss the last second;
at exit this plugin writes them once more from the final statistics, so locust_stats.csv
agrees with locust_stats.json and the SLO verdict.
"""

import csv
import json
import logging
import os
import time
from datetime import UTC, datetime

import gevent
from locust import events, stats
from locust.runners import MasterRunner, WorkerRunner

from rundir import files

logger = logging.getLogger(__name__)


def csv_prefix(environment) -> str | None:
    """Where this run's CSVs go (--csv, or the default run directory); plugins write beside."""
    options = environment.parsed_options
    return getattr(options, "csv_prefix", None) or getattr(environment, "loadgen_csv_prefix", None)


@events.init_command_line_parser.add_listener
def _arguments(parser) -> None:
    parser.add_argument(
        "--run-dir",
        default="",
        env_var="LOCUST_RUN_DIR",
        help="directory for the run's outputs when no --csv is given (default results/<time>)",
    )


@events.init.add_listener
def _default_outputs(environment, runner=None, **_kwargs) -> None:
    options = environment.parsed_options
    if isinstance(runner, WorkerRunner) or options is None or options.csv_prefix:
        return
    if not (options.headless or options.autostart):
        return
    run_dir = options.run_dir or os.path.join(
        "results", datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    )
    os.makedirs(run_dir, exist_ok=True)
    # Locust built its CSV writer before this event, so start one the same way it would;
    # options.csv_prefix stays empty, or Locust would also start its own (inert) writer.
    prefix = os.path.join(run_dir, files.CSV_PREFIX)
    environment.loadgen_csv_prefix = prefix
    options.html_file = options.html_file or os.path.join(run_dir, files.HTML_REPORT)
    options.json_file = options.json_file or os.path.join(run_dir, files.JSON_STATS_ARG)
    writer = stats.StatsCSVFileWriter(environment, stats.PERCENTILES_TO_REPORT, prefix, True)
    gevent.spawn(writer.stats_writer)
    environment.events.quit.add_listener(lambda **_kw: writer.close_files())
    logger.info("writing this run's outputs to %s", run_dir)


class FinalCSV(stats.StatsCSV):
    """Locust's CSV rows, written once from the final statistics."""

    full_history = True

    def write(self, prefix: str) -> None:
        with open(f"{prefix}_stats.csv", "w") as file:  # Locust's own newline convention
            self.requests_csv(csv.writer(file))
        with open(f"{prefix}_failures.csv", "w") as file:
            self.failures_csv(csv.writer(file))
        with open(f"{prefix}_stats_history.csv", "a") as file:
            # Locust's history writer needs only what StatsCSV has plus full_history.
            stats.StatsCSVFileWriter._stats_history_data_rows(self, csv.writer(file), time.time())


def save_json(environment, filename: str) -> None:
    """Locust's --json-file content, written without emptying the statistics as Locust does."""
    entries = environment.runner.stats.entries.values()
    rows = [entry.serialize() for entry in entries if entry.num_requests or entry.num_failures]
    with open(f"{filename}.json", "w") as file:
        json.dump(rows, file, indent=4)


def finalize(environment) -> None:
    """Make the statistics final and write the CSVs and the JSON from them, once.

    A master gets the workers' last reports only when it tells them to quit (Locust waits
    0.5 s for them), which Locust itself does after the quitting event; so do it here.
    Locust's own --json-file save empties every per-name entry (it serializes them the way
    a worker report does) but not the Aggregated one, and its 1-second CSV writer keeps
    running until the files are closed: a CSV written after that save showed per-name rows
    of 0 under a correct Aggregated row. So the JSON is written here from the same final
    statistics and Locust's save is switched off; nothing empties the statistics any more,
    and whichever writer writes last writes the same numbers.
    """
    if getattr(environment, "loadgen_finalized", False):
        return
    environment.loadgen_finalized = True
    if isinstance(environment.runner, MasterRunner):
        environment.runner.quit()
    prefix = csv_prefix(environment)
    if prefix and os.path.exists(f"{prefix}_stats.csv"):
        FinalCSV(environment, stats.PERCENTILES_TO_REPORT).write(prefix)
    options = environment.parsed_options
    if options is not None and getattr(options, "json_file", None):
        save_json(environment, options.json_file)
        options.json_file = None  # Locust would save again, emptying the per-name entries


@events.quitting.add_listener
def _finalize_at_exit(environment, **_kwargs) -> None:
    if environment.runner is not None and not isinstance(environment.runner, WorkerRunner):
        finalize(environment)
