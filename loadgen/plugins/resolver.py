"""Host names resolved by c-ares inside gevent's event loop, not by a thread per lookup.

geventhttpclient looks the host up (getaddrinfo) for every new connection, even when the host
is an address like 127.0.0.1. gevent's default resolver runs each lookup in its thread pool
and hands the answer back to the event loop; a user that closes its connection after each
request (the seed scenario's idle crowd, docs/seed-run.md) pays that hand-off on every request.
On a seed run here it was more than half of a Locust worker's CPU (py-spy, GIL samples in
gevent's thread-pool queue), and the load generator, not the API, set the latencies.

gevent ships c-ares as its own resolver: about 5 µs of CPU per lookup against 48-136 µs for the
thread pool on an idle process (bench/resolver_cost.py), names answered from /etc/hosts or DNS
without blocking the loop. It is installed into the hub at import, in every Locust process
that loads the rig's plugins. GEVENT_RESOLVER, when set, is the user's choice and is kept.
"""

import os

import gevent

try:
    from gevent.resolver.ares import Resolver as AresResolver
except ImportError:  # a gevent built without c-ares: its default resolver stays
    AresResolver = None


def install() -> str:
    """Make c-ares the current hub's resolver; the name of the resolver in use."""
    hub = gevent.get_hub()
    chosen = AresResolver is None or os.environ.get("GEVENT_RESOLVER")
    if not chosen and not isinstance(hub.resolver, AresResolver):
        hub.resolver = AresResolver(hub=hub)
    return type(hub.resolver).__module__


install()
