"""Report builder: reads a run directory and Prometheus, writes summary.md and charts, compares."""
