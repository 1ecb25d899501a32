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
    # Locust built its CSV writer before this event, so start one the same way it would.
    options.csv_prefix = os.path.join(run_dir, files.CSV_PREFIX)
    options.stats_history_enabled = True
    options.html_file = options.html_file or os.path.join(run_dir, files.HTML_REPORT)
    options.json_file = options.json_file or os.path.join(run_dir, files.JSON_STATS)
    writer = stats.StatsCSVFileWriter(
        environment, stats.PERCENTILES_TO_REPORT, options.csv_prefix, True
    )
    gevent.spawn(writer.stats_writer)
    environment.events.quit.add_listener(lambda **_kw: writer.close_files())
    logger.info("writing this run's outputs to %s", run_dir)
