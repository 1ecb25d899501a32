"""free_port: a port nothing listens on, never handed out twice by one process."""

import socket
import threading

from rig.ports import free_port


def test_no_port_is_handed_out_twice():
    # The kernel picks among about 28,000 ephemeral ports: 3,000 draws without the record of
    # handed-out ports repeat some with near certainty (the birthday bound: ~150 repeats).
    ports = [free_port() for _ in range(3000)]
    assert len(set(ports)) == len(ports)


def test_threads_get_distinct_ports_that_are_free():
    found: list[int] = []

    def take() -> None:
        found.extend(free_port() for _ in range(200))

    threads = [threading.Thread(target=take) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert len(found) == 800 == len(set(found))
    with socket.socket() as sock:  # the last one is still free to bind
        sock.bind(("127.0.0.1", found[-1]))
