"""Alembic migrations, shipped inside the package so an installed wheel can create or upgrade its own database.

Run through emulator.store.migrate (at server start-up and by `sagemaker-emulator migrate`), never through the
alembic CLI: that module hands env.py an open connection inside a locked transaction.
"""
