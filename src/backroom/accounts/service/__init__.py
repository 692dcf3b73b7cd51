"""The rules of the accounts domain, one module per use case. Services flush, never commit."""
