"""Creates the seed documents once, on the master (or the single process), when a test starts."""

import logging

from locust import events
from locust.runners import WorkerRunner

from loadgen import options as _options  # noqa: F401  (registers --seed-count, --doc-size)
from loadgen import seeding
from rig.errors import RigError

logger = logging.getLogger(__name__)


@events.test_start.add_listener
def seed_documents(environment, **_kwargs) -> None:
    opts = environment.parsed_options
    if isinstance(environment.runner, WorkerRunner) or opts is None or opts.skip_seed:
        return
    if opts.seed_count <= 0 or not environment.host:
        return
    try:
        result = seeding.seed(environment.host, opts.seed_count, opts.doc_size)
    except RigError as exc:
        # Without its documents every read would fail: stop now with the reason.
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
