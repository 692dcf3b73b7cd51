"""Every table, imported in one place so Alembic and the tests see the whole schema."""

from backroom.accounts import models as accounts_models
from backroom.core import audit, idempotency
from backroom.core.db import Base
from backroom.tools.activity import models as activity_models
from backroom.tools.tasks import models as tasks_models

metadata = Base.metadata

__all__ = ["accounts_models", "activity_models", "audit", "idempotency", "metadata", "tasks_models"]
