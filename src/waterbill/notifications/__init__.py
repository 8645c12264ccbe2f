"""Notifications: settings per citizen, a transactional outbox, and the worker that delivers it."""
