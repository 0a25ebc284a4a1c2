"""The `okrql` command: serve, migrate, seed demo, export-schema."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from pathlib import Path

from api.settings import get_settings

log = logging.getLogger("okrql")


def _configure_logging() -> None:
    from api.request_log import configure_logging

    settings = get_settings()
    configure_logging(settings.log_level, json_lines=settings.is_production)


def _database_url() -> str:
    from api.app import database_url

    return database_url(get_settings())


async def _seed_demo(url: str) -> int:
    from api.services.demo import seed_demo
    from db.pool import create_pool

    pool = await create_pool(url, min_size=1, max_size=1)
    try:
        async with pool.acquire() as conn:
            return await seed_demo(conn)
    finally:
        await pool.close()


def cmd_serve(args: argparse.Namespace) -> int:
    import uvicorn

    from api.app import create_app
    from api.migrations import upgrade

    settings = get_settings()
    url = _database_url()
    if not settings.is_production:
        # A development server sets itself up: schema at head and the demo organisation.
        upgrade(url)
        asyncio.run(_seed_demo(url))
    app = create_app(settings, url=url)
    host, port = args.host or settings.host, args.port or settings.port
    log.info("okrql listening on http://%s:%s/graphql", host, port)
    uvicorn.run(
        app,
        host=host,
        port=port,
        log_config=None,
        access_log=False,
        loop="uvloop",
        http="httptools",
        timeout_graceful_shutdown=10,
    )
    return 0


def cmd_migrate(args: argparse.Namespace) -> int:
    from alembic import command
    from api.migrations import alembic_config, downgrade, upgrade

    url = _database_url()
    if args.action == "upgrade":
        upgrade(url, args.revision or "head")
    elif args.action == "downgrade":
        downgrade(url, args.revision or "-1")
    else:
        command.current(alembic_config(url), verbose=False)
    return 0


def cmd_seed(args: argparse.Namespace) -> int:
    organization_id = asyncio.run(_seed_demo(_database_url()))
    log.info("demo organisation ready (id %s)", organization_id)
    return 0


def cmd_export_schema(args: argparse.Namespace) -> int:
    from schema.app_schema import schema

    sdl = schema.as_str() + "\n"
    if args.output == "-":
        sys.stdout.write(sdl)
    else:
        Path(args.output).write_text(sdl, encoding="utf-8")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="okrql", description="okrql: a headless OKR API")
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="run the API (GraphiQL at /graphql)")
    serve.add_argument("--host")
    serve.add_argument("--port", type=int)
    serve.set_defaults(handler=cmd_serve)

    migrate = commands.add_parser("migrate", help="apply or revert database migrations")
    migrate.add_argument("action", choices=["upgrade", "downgrade", "current"])
    migrate.add_argument("revision", nargs="?")
    migrate.set_defaults(handler=cmd_migrate)

    seed = commands.add_parser("seed", help="load data")
    seed.add_argument("what", choices=["demo"])
    seed.set_defaults(handler=cmd_seed)

    export = commands.add_parser("export-schema", help="write the GraphQL SDL")
    export.add_argument("output", nargs="?", default="schema.graphql")
    export.set_defaults(handler=cmd_export_schema)

    args = parser.parse_args(argv)
    _configure_logging()
    try:
        code: int = args.handler(args)
    except (OSError, ConnectionError) as error:
        # An unreachable database at start-up: one clear line, not a traceback wall.
        log.error("cannot reach the database: %s", error)
        return 2
    except KeyboardInterrupt:
        return 130
    return code


if __name__ == "__main__":
    sys.exit(main())
