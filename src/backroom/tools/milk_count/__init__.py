"""Tool 2: the night and morning milk count and what to order.

Importing the package registers the default milk types as a new store's set-up.
"""

from backroom.accounts.service.stores import register_store_setup
from backroom.tools.milk_count.service.milk_types import seed_default_milk_types

register_store_setup(seed_default_milk_types)
