"""Fault injection: the rules and how a request meets them (rules), their admin API (fault_api), and how every
process on the database applies the same rules (fault_sync)."""
