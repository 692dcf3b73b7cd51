"""Tool 1: items with 4-digit codes, their history, and name suggestions.

Importing the package registers the store set-up that gives every new store its
name templates (accounts never imports a tool, so the tool announces itself).
"""

from backroom.accounts.service.stores import register_store_setup
from backroom.tools.tracking.service.suggestions import seed_templates

register_store_setup(seed_templates)
