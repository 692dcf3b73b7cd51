"""Tool 3: RTD&E display items, count sessions and the pull list."""
