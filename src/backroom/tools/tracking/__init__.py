"""Tool 1: items with 4-digit codes, their history and name suggestions."""
