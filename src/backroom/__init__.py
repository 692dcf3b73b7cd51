"""Backroom: accounts, to-do tasks, store tools and an audit trail for people who run a store."""

__version__ = "0.1.0"
