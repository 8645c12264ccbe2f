"""Service continuity and hardening: maintenance, outages, health, metrics, limits, headers."""
