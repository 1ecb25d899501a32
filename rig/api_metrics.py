"""The API's own metrics served from its multiprocess files, apart from the API (`rig local`).

The API answers /metrics from the same worker connection slots as its clients: when a crowd
holds every slot, a scrape waits in the listen queue behind them and times out, and the
report loses the very figures that show the limit. Gunicorn's workers write their metrics to
PROMETHEUS_MULTIPROC_DIR; this exporter reads those files in the rig's own process, so
Prometheus scrapes them whatever the API is doing.
"""

from dataclasses import dataclass
from pathlib import Path

from prometheus_client import CollectorRegistry, multiprocess, start_http_server

from rig.ports import free_port


@dataclass
class ApiMetrics:
    directory: Path
    port: int
    _server: object

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()


def serve(directory: Path) -> ApiMetrics:
    """Serve the metrics the API's workers write to `directory` on a free loopback port."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry, path=str(directory))
    port = free_port()
    server, _thread = start_http_server(port, addr="127.0.0.1", registry=registry)
    return ApiMetrics(directory, port, server)
