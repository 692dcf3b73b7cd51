"""Reads the audit trail: the store and admin feeds, audit search and CSV export."""
