"""Gives every headless run a run directory: CSVs with full history, HTML and JSON reports.

When the command line names no --csv, the master (or single process) writes into
--run-dir (default results/<UTC time>/) with the file names of loadgen.runner.
"""

import logging
import os
from datetime import UTC, datetime

import gevent
from locust import events, stats
from locust.runners import WorkerRunner

from loadgen import runner_files as files

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
