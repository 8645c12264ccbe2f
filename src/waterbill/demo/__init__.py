"""Realistic, deterministic demo data: citizens, accounts, invoices, revisions and payments."""
