"""The access log: an append-only, hash-chained record of who saw what, and when (issue 5)."""
