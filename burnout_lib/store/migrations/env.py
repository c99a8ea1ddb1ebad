"""Alembic environment: runs migrations on the connection `store.db.init_db` hands over."""

from alembic import context

from burnout_lib.store.db import metadata

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
