"""`rig local --canary`: the canary (rig/canary.py) before the load, into the run directory.

Against the Redis this run started (keys under the rig's prefix only) and the API's /healthz;
with --target, the target's /healthz alone (its Redis is not the rig's to write to).
"""

from rig import canary
from rig.commands.reset import chosen_prefix
from rundir.files import CANARY_JSON
from rundir.load import write_json


def measure(bench) -> None:
    """Run the canary for rig local's `bench` and keep its figures as canary.json."""
    redis_url = None if bench.opts.target else bench.db.url
    health = bench.target_url.rstrip("/") + "/healthz"
    result = canary.run(redis_url, chosen_prefix(None), health)
    write_json(bench.plan.path / CANARY_JSON, result)
    bench.say(canary.line(result))
