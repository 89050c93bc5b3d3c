"""Containers run as local processes for endpoints: the operator's model commands (commands.py, below every layer:
the settings check a table with it), what a deployment runs, and the supervisor that starts, pings, restarts and
stops them."""
