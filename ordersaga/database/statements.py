"""Statement shapes the services' rules build once, at import, and bind per call (building a
statement and computing its cache key cost more CPU than SQLite spends running it; see
docs/performance.md). Bind parameters never take a column's name: SQLAlchemy keeps those for
the values of an UPDATE.
"""

from typing import Any

from sqlalchemy import ColumnElement, Table, Update, bindparam, update
from sqlalchemy.sql.dml import ReturningUpdate


def adding(table: Table, key: str, **added: str) -> Update:
    """`UPDATE table SET column = column + :param, ... WHERE key = :of_<key>`, for each
    `column=param` given: counters moved in one statement, never read and then written."""
    return (
        update(table)
        .where(table.c[key] == bindparam(f"of_{key}"))
        .values({column: table.c[column] + bindparam(param) for column, param in added.items()})
    )


def claiming(
    table: Table, key: str, status: str, *returning: ColumnElement[Any]
) -> ReturningUpdate[Any]:
    """Move the row `key = :of_<key>` from `status` to `:new_status` (stamping `updated_at` with
    `:now`) in one statement, returning `returning`: of two commands racing for the same row,
    only one finds it still in `status`."""
    return (
        update(table)
        .where(table.c[key] == bindparam(f"of_{key}"), table.c.status == status)
        .values(status=bindparam("new_status"), updated_at=bindparam("now"))
        .returning(*returning)
    )
