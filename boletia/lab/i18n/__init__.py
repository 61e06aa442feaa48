"""Editions of the course in other languages (see editions.py)."""
