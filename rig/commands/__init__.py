"""Subcommands of `rig`, one module each."""
