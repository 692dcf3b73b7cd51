"""The rules of the tracking tool, split by use case."""
