"""The rules of the milk count, split by use case: milk types, par levels, sessions
(start, today, history, reopen, reads) and counting (the four phase saves)."""
