"""Every table, imported in one place so Alembic and the tests see the whole schema."""

from backroom.accounts import models as accounts_models
from backroom.core import audit, idempotency
from backroom.core.db import Base
from backroom.tools.milk_count import models as milk_count_models
from backroom.tools.tasks import models as tasks_models

metadata = Base.metadata

__all__ = [
    "accounts_models",
    "audit",
    "idempotency",
    "metadata",
    "milk_count_models",
    "tasks_models",
]
