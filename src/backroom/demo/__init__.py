"""`backroom seed-demo`: a demo store with people and data in every tool.

Everything is made through the same services the routes call, so the rows are valid and
the audit events are the ones real use writes. It sits just below `backroom.cli`, the
only layer allowed to use every tool at once.
"""
