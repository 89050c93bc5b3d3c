"""Containers run as local processes for endpoints: the operator's model commands, what a deployment runs, and the
supervisor that starts, pings, restarts and stops them."""
