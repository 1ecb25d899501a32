"""Step load shape: hold each listed number of users for its duration, then stop."""

import logging

from locust import LoadTestShape, events

from loadgen.shapes import Stage, parse_stages, run_time_over

logger = logging.getLogger(__name__)


@events.init_command_line_parser.add_listener
def _arguments(parser) -> None:
    parser.add_argument(
        "--stages",
        default="",
        env_var="LOCUST_STAGES",
        help='step shape: "USERS:DURATION[:SPAWN_RATE],..." or @FILE (one stage per line)',
    )


class StepShape(LoadTestShape):
    """Runs `stages` in order: each is (users, seconds, spawn_rate); None after the last.

    --run-time, when given, cuts the stages short; --users and --spawn-rate do not apply.
    """

    stages: list[Stage] | None = None
    use_common_options = True  # we read --run-time (Locust would not apply it to a shape)

    def tick(self):
        if self.stages is None:
            options = self.runner.environment.parsed_options
            try:
                self.stages = parse_stages(getattr(options, "stages", ""))
            except (ValueError, OSError) as exc:
                logger.error("step shape: %s", exc)
                self.runner.environment.process_exit_code = 2
                self.stages = []
        elapsed = self.get_run_time()
        if run_time_over(self.runner.environment.parsed_options, elapsed):
            return None
        for stage in self.stages:
            if elapsed < stage.seconds:
                return stage.users, stage.spawn_rate
            elapsed -= stage.seconds
        return None
