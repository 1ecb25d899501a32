"""`rig local --target` and `--web`: a service the rig did not start, and Locust's web UI.

OwnService is part of rig local's bench (bench.py); the checks and command-line pieces are in
target.py, the web UI's session in web.py.
"""

import time
from pathlib import Path

from rig import processes
from rig.errors import RigError
from rig.local import target as local_target
from rig.local import web as local_web
from rig.ports import wait_until

DEFAULT_SCENARIO = "post_15k"
OWN_LOCUSTFILE_USERS = 10  # a locustfile without a scenario: these users, all started in 1 s
OWN_LOCUSTFILE_RUN_TIME = "60s"
WEB_UI_LIMIT = 4 * 3600  # a forgotten browser tab does not keep the bench up for ever


def check_options(opts) -> None:
    """--target, --locustfile and --redis-url checked (and normalised) before anything starts."""
    if opts.target:
        opts.target = local_target.check_target(opts.target)
    if opts.redis_url:
        if not opts.target:
            raise RigError("--redis-url watches the Redis of a --target service; add --target")
        opts.redis_url = local_target.check_redis_url(opts.redis_url)
    if opts.locustfile:
        opts.locustfile = local_target.check_locustfile(opts.locustfile)
    elif opts.scenario is None:
        opts.scenario = DEFAULT_SCENARIO
    if opts.locustfile and opts.scenario is None:
        # Every task of the file, with the command line's users and run time.
        opts.users = opts.users or OWN_LOCUSTFILE_USERS
        opts.spawn_rate = opts.spawn_rate or float(opts.users)
        opts.run_time = opts.run_time or (None if opts.web else OWN_LOCUSTFILE_RUN_TIME)


class OwnService:
    """The parts of rig local's bench that differ for --target and --web."""

    @property
    def target_url(self) -> str:
        return self.opts.target or self.api.url

    @property
    def redis_url(self) -> str | None:
        return self.opts.redis_url if self.opts.target else self.db.url

    def _target_roles(self) -> list[str]:
        """This box's roles with a service the rig did not start: its Redis is watched here
        (redis_exporter runs here, whatever host Redis is on) and its host is this one when
        the target is local."""
        roles = ["locust", "prometheus"]
        if self.opts.redis_url:
            roles.insert(0, "redis")
        return roles

    def _target_facts(self) -> dict:
        """What results.finish() records of a --target run: this box's roles, where it ran."""
        if not self.opts.target:
            return {}
        return {
            "roles": self._target_roles(),
            "extra": {"target_local": local_target.is_local(self.opts.target)},
        }

    def _say_target(self) -> None:
        url = local_target.redact(self.opts.target)
        where = "on this host" if local_target.is_local(url) else "on another host"
        self.say(f"target {url} ({where}; not started by the rig)")
        if self.opts.redis_url:
            redis_url = local_target.redact(self.opts.redis_url)
            self.say(f"watching its Redis {redis_url} read-only (redis_exporter)")

    def _follow_web_ui(self, master_log: Path) -> None:
        """Until users ran and were stopped in the browser (or Ctrl-C): then end Locust."""
        session = local_web.WebSession(self.web_port)
        # The line is a promise that the page opens: print it once the UI answers.
        try:
            wait_until(lambda: session.poll() or session.state != "starting", 120,
                       "Locust's web UI", alive=lambda: self.master.poll() is None,
                       interval=0.5)  # fmt: skip
        except (RuntimeError, TimeoutError) as exc:
            raise RigError(f"{exc}; see {master_log}") from None
        self.say(f"Locust web UI: {local_web.url(self.web_port)}")
        self.say(
            "start the run in the browser; Stop there (or Ctrl-C here) ends it, then the report"
        )
        limit = WEB_UI_LIMIT
        try:
            local_web.wait_until_stopped(
                session, lambda: self.master.poll() is None, time.monotonic() + limit
            )
        except KeyboardInterrupt:
            session.poll()
            if not session.ran:
                raise
            self.say("Ctrl-C: stopping Locust and writing the report")
        if self.master.poll() is None:
            processes.stop(self.master, timeout=30)  # SIGTERM: Locust writes its final files
        if not session.ran:
            raise RigError(
                f"no users ran in the web UI, so there is nothing to report; see {master_log}"
            )
