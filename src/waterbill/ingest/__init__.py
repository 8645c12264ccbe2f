"""Billing feed import and real-time payment intake from payment channels."""
