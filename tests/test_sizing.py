"""Connection slots and listen queue of the API sized for the crowd (rig/sizing.py)."""

from rig import sizing


def test_slots_follow_the_crowd_within_the_open_files_limit():
    assert sizing.worker_connections(None, 2, 20000) == sizing.DEFAULT_WORKER_CONNECTIONS
    assert sizing.worker_connections(500, 2, 20000) == sizing.DEFAULT_WORKER_CONNECTIONS
    assert sizing.worker_connections(10000, 2, 20000) == 5000
    # 100,000 users on 2 workers would want 50,000 each: the open files limit caps it.
    assert sizing.worker_connections(100_000, 2, 20000) == 20000 - sizing.FD_RESERVE
    assert sizing.worker_connections(100, 0, 100) == 1


def test_the_listen_queue_is_as_long_as_the_kernel_allows(tmp_path):
    somaxconn = tmp_path / "somaxconn"
    somaxconn.write_text("4096\n")
    assert sizing.listen_backlog_limit(somaxconn) == 4096
    somaxconn.write_text("garbage")
    assert sizing.listen_backlog_limit(somaxconn) == sizing.DEFAULT_BACKLOG
    assert sizing.listen_backlog_limit(tmp_path / "absent") == sizing.DEFAULT_BACKLOG
    settings = sizing.api_settings(100_000, 2, fd_limit=20000, somaxconn=4096)
    assert settings == {"RIG_WORKER_CONNECTIONS": "19744", "RIG_BACKLOG": "4096"}


def test_granians_backpressure_is_sized_like_gunicorns_slots():
    settings = sizing.api_settings(100_000, 2, fd_limit=20000, somaxconn=4096, server="granian")
    assert settings == {"RIG_BACKPRESSURE": "19744", "RIG_BACKLOG": "4096"}
    # Granian refuses a listen backlog under 128 even where the kernel allows less.
    small = sizing.api_settings(10, 1, fd_limit=20000, somaxconn=64, server="granian")
    assert small == {"RIG_BACKPRESSURE": "1000", "RIG_BACKLOG": "128"}


def test_this_hosts_limits_are_read():
    assert sizing.open_files_limit() > 0
    assert sizing.listen_backlog_limit() > 0
