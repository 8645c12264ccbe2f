"""Meter readings submitted by citizens (issue 23), collected by the billing system."""
