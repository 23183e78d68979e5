from ordersaga.database.migrations import configure_from_code
from ordersaga.services.inventory.models import Base

configure_from_code(Base.metadata)
