"""The Locust side of the rig: workload, scenarios, load shapes and event-hook plugins."""
