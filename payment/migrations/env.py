from payment.models import metadata
from persistence.migrations import configure_from_code

configure_from_code(metadata)
