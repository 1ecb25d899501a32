"""How many missed heartbeats the master tolerates before it calls a worker missing.

Locust's master marks a worker missing after 3 heartbeats (3 s) without word, and stops the
test when the last one goes. A worker spawning thousands of users on a busy host (the seed
scenario spawns 2,500 users per second on each of 4 workers) can be that late without being
lost, and so can any worker on a machine busy with other work (seen here with 50 users);
--heartbeat-liveness gives it longer: 10 by default, so a worker that really died is still
noticed within 10 s. Locust keeps the limit in a module constant, which
the master reads whenever a worker registers or reports, so setting it at init is enough.
"""

from locust import events, runners

DEFAULT_LIVENESS = 10


@events.init_command_line_parser.add_listener
def _arguments(parser) -> None:
    parser.add_argument_group("rig heartbeat").add_argument(
        "--heartbeat-liveness",
        type=int,
        default=DEFAULT_LIVENESS,
        env_var="LOCUST_HEARTBEAT_LIVENESS",
        help="heartbeats (1 s apart) a worker may miss before the master calls it missing "
        f"(default {DEFAULT_LIVENESS}; Locust's own is {runners.HEARTBEAT_LIVENESS})",
    )


@events.init.add_listener
def _apply(environment, **_kwargs) -> None:
    options = environment.parsed_options
    liveness = getattr(options, "heartbeat_liveness", None) if options else None
    if isinstance(environment.runner, runners.MasterRunner) and liveness and liveness > 0:
        runners.HEARTBEAT_LIVENESS = int(liveness)
