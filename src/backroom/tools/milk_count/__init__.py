"""Tool 2: the night and morning milk count and what to order."""
