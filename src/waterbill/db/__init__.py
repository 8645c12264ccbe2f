"""The store: one portable schema on SQLite and PostgreSQL, and how to connect to it."""
