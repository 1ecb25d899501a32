"""HTTP views: documents (JSON and string kinds) and health/metrics."""
