"""Disputes (regulation 3.6): a debt-investigation request on a statement month, to an answer."""
