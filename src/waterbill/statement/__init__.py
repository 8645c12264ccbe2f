"""The 12-month statement of invoices and payments (regulation 3.4)."""
