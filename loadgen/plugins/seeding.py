"""Creates the seed documents once, on the master (or the single process), before load starts.

Headless runs seed at init, before Locust starts the --run-time clock; a run started
from the web UI (host known only then) seeds at test start.
"""

import logging

from locust import events
from locust.runners import WorkerRunner

from loadgen import options as _options  # noqa: F401  (registers --seed-count, --doc-size)
from loadgen import seeding
from rundir.errors import RigError

logger = logging.getLogger(__name__)


def _seed(environment) -> None:
    opts = environment.parsed_options
    if getattr(environment, "loadgen_seeded", False):
        return
    if isinstance(environment.runner, WorkerRunner) or opts is None or opts.skip_seed:
        return
    if opts.seed_count <= 0 or not environment.host:
        return
    environment.loadgen_seeded = True
    try:
        result = seeding.seed(environment.host, opts.seed_count, opts.doc_size)
    except RigError as exc:
        # Without its documents every read would fail: stop now and say why.
        logger.error("%s", exc)
        environment.process_exit_code = 2
        environment.runner.quit()
        return
    logger.info(
        "seeded %d documents (%s, %s) in %.1f s",
        result.created,
        "+".join(result.kinds),
        result.size,
        result.seconds,
    )


@events.init.add_listener
def _seed_before_headless_start(environment, **_kwargs) -> None:
    opts = environment.parsed_options
    if opts is not None and (opts.headless or opts.autostart):
        _seed(environment)


@events.test_start.add_listener
def _seed_at_test_start(environment, **_kwargs) -> None:
    _seed(environment)
