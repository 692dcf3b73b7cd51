"""Every table, imported in one place so Alembic and the tests see the whole schema."""

from backroom.accounts import models as accounts_models
from backroom.core import audit, idempotency
from backroom.core.db import Base
from backroom.tools.activity import models as activity_models
from backroom.tools.milk_count import models as milk_count_models
from backroom.tools.rtde import models as rtde_models
from backroom.tools.tasks import models as tasks_models
from backroom.tools.tracking import models as tracking_models

metadata = Base.metadata

__all__ = [
    "accounts_models",
    "activity_models",
    "audit",
    "idempotency",
    "metadata",
    "milk_count_models",
    "rtde_models",
    "tasks_models",
    "tracking_models",
]
