"""Event-hook plugins; a locustfile enables one by importing it.

from loadgen.plugins import prometheus_exporter, slo  # noqa: F401
"""
