"""Realistic data per area: billing rows, feed files, citizens, photos, metered households."""
