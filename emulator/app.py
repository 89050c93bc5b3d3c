"""create_app(settings) builds everything: engine, schema, store, the AWS wire app and the admin API."""

from __future__ import annotations

from emulator.admin import create_admin_api
from emulator.operations.context import Deps
from emulator.protocol.wire import AwsJsonApp
from emulator.settings import Settings
from emulator.store.engine import create_schema, make_engine
from emulator.store.repository import Store


def create_app(settings: Settings) -> AwsJsonApp:
    limits = settings.limits()  # a bad limits file fails before a database file is created
    engine = make_engine(settings.database_url)
    create_schema(engine)
    deps = Deps(store=Store(engine), limits=limits)
    return AwsJsonApp(
        deps=deps,
        default_region=settings.region,
        default_account=settings.account_id,
        fallback=create_admin_api(deps, settings=settings),
    )
