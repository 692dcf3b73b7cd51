"""The rules of the RTD&E tool, split by use case: the admin's items, and count sessions."""
