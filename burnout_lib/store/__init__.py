"""The store: tables, Alembic migrations, bulk upserts, retrying write transactions and checksums.
May import only config, errors and emotions (the expression vocabulary its tables are made of).
"""
