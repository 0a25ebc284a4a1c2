"""The `okrql` command: serve, migrate, seed demo, export-schema, and the operator's tools:
organisations (`org create`), API keys (`key create|revoke`), development tokens (`token`)."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from pathlib import Path
from typing import Any

import asyncpg

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
    from db.pool import create_pool
    from services.demo import seed_demo

    pool = await create_pool(url, min_size=1, max_size=1)
    try:
        async with pool.acquire() as conn:
            return await seed_demo(conn)
    finally:
        await pool.close()


def cmd_serve(args: argparse.Namespace) -> int:
    import uvicorn

    from api.app import create_app
    from api.auth.tokens import configuration_problem
    from api.migrations import upgrade

    settings = get_settings()
    problem = configuration_problem(settings)
    if problem is not None:
        log.error("refusing to start: %s", problem)
        return 2
    url = _database_url()
    if not settings.is_production:
        # A development server sets itself up: schema at head and the demo organisation.
        upgrade(url)
        asyncio.run(_seed_demo(url))
    app = create_app(settings, url=url, webhook_worker=settings.webhook_worker)
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


def cmd_token(args: argparse.Namespace) -> int:
    from api.auth.tokens import ConfigurationError, mint_development_token

    try:
        token = mint_development_token(
            get_settings(), email=args.email, organization=args.org, ttl=args.ttl
        )
    except ConfigurationError as error:
        log.error("cannot mint a token: %s", error)
        return 1
    sys.stdout.write(token + "\n")
    return 0


async def _operator_pool(url: str) -> asyncpg.Pool[Any]:
    """A pool of the configured database role itself (not okrql_app): operator tools."""
    from db.pool import create_pool

    return await create_pool(url, min_size=1, max_size=1)


async def _create_organization(args: argparse.Namespace, url: str) -> tuple[int, int]:
    from db.organizations import add_member, create_organization

    # The configured role itself (not okrql_app): creating an organisation crosses tenants.
    conn = await asyncpg.connect(url)
    try:
        async with conn.transaction():
            organization_id = await create_organization(
                conn, args.name.strip(), args.slug, args.time_zone
            )
            admin_name = (args.admin_name or args.admin_email.split("@", 1)[0]).strip()
            user_id = await add_member(
                conn, organization_id, admin_name, args.admin_email.strip(), "ADMIN"
            )
        return organization_id, user_id
    finally:
        await conn.close()


def cmd_org_create(args: argparse.Namespace) -> int:
    import zoneinfo

    try:
        zoneinfo.ZoneInfo(args.time_zone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        log.error("unknown time zone %r (an IANA name such as Europe/Stockholm)", args.time_zone)
        return 1
    try:
        organization_id, user_id = asyncio.run(_create_organization(args, _database_url()))
    except asyncpg.UniqueViolationError:
        log.error("an organisation with the slug %r exists already", args.slug)
        return 1
    except asyncpg.CheckViolationError as error:
        log.error("refused: %s (slugs are lowercase letters, digits and dashes)", error)
        return 1
    log.info(
        "organisation %r created (id %s) with admin %s (user %s)",
        args.slug, organization_id, args.admin_email, user_id,
    )  # fmt: skip
    return 0


class _NoOrganizationError(Exception):
    pass


async def _in_organization(url: str, slug: str, work: Any) -> Any:
    """Run `work(conn, organization_id)` in a transaction bound to the organisation."""
    from db.identity import organization_admin
    from db.tenancy import tenant_transaction

    pool = await _operator_pool(url)
    try:
        found = await organization_admin(pool, slug)
        if found is None:
            raise _NoOrganizationError(slug)
        async with pool.acquire() as conn, tenant_transaction(conn, found.organization_id):
            return await work(conn, found.organization_id)
    finally:
        await pool.close()


def cmd_key_create(args: argparse.Namespace) -> int:
    import datetime as dt

    from domain.api_keys import ApiKeyInputError
    from services.api_keys import issue_key

    expires_at = None
    if args.expires_in_days is not None:
        if args.expires_in_days <= 0:
            log.error("--expires-in-days must be positive")
            return 1
        expires_at = dt.datetime.now(dt.UTC) + dt.timedelta(days=args.expires_in_days)

    async def create(conn: Any, organization_id: int) -> Any:
        return await issue_key(
            conn,
            organization_id,
            name=args.name,
            scopes=args.scopes.split(","),
            expires_at=expires_at,
        )

    try:
        issued = asyncio.run(_in_organization(_database_url(), args.org, create))
    except _NoOrganizationError:
        log.error("no organisation %r", args.org)
        return 1
    except ApiKeyInputError as error:
        log.error("cannot create the key: %s", error)
        return 1
    log.info("API key %s created (prefix %s); it is shown only now", issued.id, issued.prefix)
    sys.stdout.write(issued.secret + "\n")
    return 0


def cmd_key_revoke(args: argparse.Namespace) -> int:
    from db.api_keys import ids_by_prefix
    from services.api_keys import revoke_key

    async def revoke(conn: Any, organization_id: int) -> int:
        ids = await ids_by_prefix(conn, organization_id, args.prefix)
        for api_key_id in ids:
            await revoke_key(conn, organization_id, api_key_id, actor_user_id=None)
        return len(ids)

    try:
        revoked = asyncio.run(_in_organization(_database_url(), args.org, revoke))
    except _NoOrganizationError:
        log.error("no organisation %r", args.org)
        return 1
    if not revoked:
        log.error("no API key with the prefix %r in %r", args.prefix, args.org)
        return 1
    log.info("API key %s revoked", args.prefix)
    return 0


class _NoMemberError(Exception):
    pass


async def _as_operator(url: str, slug: str, work: Any) -> Any:
    """Run `work(conn, identity)` as the server's operator of the organisation: an admin who
    is nobody in it (the use cases open their own transactions)."""
    from db.identity import organization_admin
    from services.identity import Identity

    pool = await _operator_pool(url)
    try:
        found = await organization_admin(pool, slug)
        if found is None:
            raise _NoOrganizationError(slug)
        async with pool.acquire() as conn:
            return await work(conn, Identity.operator_of(found.organization_id, found.time_zone))
    finally:
        await pool.close()


def _operate(args: argparse.Namespace, work: Any) -> Any:
    """`_as_operator`, with the refusals an operator can meet said plainly; None on failure."""
    from domain.errors import DomainError

    try:
        return asyncio.run(_as_operator(_database_url(), args.org, work))
    except _NoOrganizationError:
        log.error("no organisation %r", args.org)
    except _NoMemberError as missing:
        log.error("no member with the email %r in %r", str(missing), args.org)
    except DomainError as error:
        for problem in error.problems:
            log.error("refused (%s): %s", problem.code.value, problem.message)
    return None


def cmd_member_invite(args: argparse.Namespace) -> int:
    import datetime as dt

    from domain.members import InviteMember
    from domain.validation import parse
    from services import members

    async def invite(conn: Any, identity: Any) -> Any:
        command = parse(
            InviteMember,
            {"email": args.email, "name": args.name, "role": args.role.upper(),
             "expiresInDays": args.expires_in_days},
        )  # fmt: skip
        return await members.invite_member(conn, identity, command, dt.datetime.now(dt.UTC))

    invited = _operate(args, invite)
    if invited is None:
        return 1
    log.info(
        "%s invited (user %s, invitation %s): their first sign-in with this verified email"
        " accepts; the invitation token is shown only now",
        args.email, invited.user_id, invited.invitation_id,
    )  # fmt: skip
    sys.stdout.write(invited.token + "\n")
    return 0


def cmd_member_list(args: argparse.Namespace) -> int:
    from domain.members import MemberStatus
    from services import members

    statuses = tuple(MemberStatus(s.upper()) for s in args.status) if args.status else None

    async def listing(conn: Any, identity: Any) -> Any:
        return await members.list_members(conn, identity, statuses)

    found = _operate(args, listing)
    if found is None:
        return 1
    for row in found:
        sys.stdout.write(f"{row.email}\t{row.name}\t{row.role}\t{row.status}\n")
    return 0


def cmd_member_deactivate(args: argparse.Namespace) -> int:
    from domain.members import DeactivateMember
    from services import members

    async def deactivate(conn: Any, identity: Any) -> Any:
        user_id = await members.member_by_email(conn, identity, args.email)
        if user_id is None:
            raise _NoMemberError(args.email)
        target = None
        if args.transfer_to:
            target = await members.member_by_email(conn, identity, args.transfer_to)
            if target is None:
                raise _NoMemberError(args.transfer_to)
        command = DeactivateMember(id=user_id, transfer_ownership_to=target)
        return await members.deactivate_member(conn, identity, command)

    done = _operate(args, deactivate)
    if done is None:
        return 1
    log.info(
        "%s deactivated; %s objectives and %s key results handed over",
        args.email, done.transferred_objectives, done.transferred_key_results,
    )  # fmt: skip
    return 0


async def _run_worker(url: str) -> None:
    import signal

    from api.webhooks.worker import WebhookWorker
    from db.pool import create_pool

    settings = get_settings()
    pool = await create_pool(
        url,
        min_size=1,
        max_size=2,
        role=settings.database_role or None,
        connect_timeout=settings.database_connect_timeout,
        acquire_timeout=settings.database_acquire_timeout,
        statement_timeout=settings.statement_timeout,
        lock_timeout=settings.lock_timeout,
        idle_in_transaction_timeout=settings.idle_in_transaction_timeout,
        random_page_cost=settings.random_page_cost,
        lazy=True,
    )
    worker = WebhookWorker(pool, settings)
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stopping.set)
    worker.start()
    log.info("okrql webhook worker started")
    try:
        await stopping.wait()
    finally:
        await worker.stop()
        await pool.close()
    log.info("okrql webhook worker stopped")


def cmd_worker(args: argparse.Namespace) -> int:
    """Deliver webhooks until SIGINT/SIGTERM; run as many as you like beside the API."""
    asyncio.run(_run_worker(_database_url()))
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

    worker = commands.add_parser("worker", help="deliver webhooks (beside or instead of serve)")
    worker.set_defaults(handler=cmd_worker)

    seed = commands.add_parser("seed", help="load data")
    seed.add_argument("what", choices=["demo"])
    seed.set_defaults(handler=cmd_seed)

    export = commands.add_parser("export-schema", help="write the GraphQL SDL")
    export.add_argument("output", nargs="?", default="schema.graphql")
    export.set_defaults(handler=cmd_export_schema)

    token = commands.add_parser("token", help="mint a development JWT (HS256, not production)")
    token.add_argument("--email", required=True)
    token.add_argument("--org", help="the organisation slug to put in the `org` claim")
    token.add_argument("--ttl", type=int, default=3600, help="seconds until it expires")
    token.set_defaults(handler=cmd_token)

    org = commands.add_parser("org", help="provision organisations")
    org_commands = org.add_subparsers(dest="action", required=True)
    org_create = org_commands.add_parser("create", help="an organisation and its first admin")
    org_create.add_argument("--name", required=True)
    org_create.add_argument("--slug", required=True)
    org_create.add_argument("--admin-email", required=True)
    org_create.add_argument("--admin-name")
    org_create.add_argument("--time-zone", default="UTC")
    org_create.set_defaults(handler=cmd_org_create)

    member = commands.add_parser("member", help="manage an organisation's people")
    member_commands = member.add_subparsers(dest="member_command", required=True)
    member_invite = member_commands.add_parser(
        "invite", help="invite a person by email; prints the invitation token once"
    )
    member_invite.add_argument("--org", required=True, help="the organisation's slug")
    member_invite.add_argument("--email", required=True)
    member_invite.add_argument("--name", required=True)
    member_invite.add_argument(
        "--role", default="MEMBER", choices=["admin", "member", "viewer", "ADMIN", "MEMBER",
                                             "VIEWER"]
    )  # fmt: skip
    member_invite.add_argument("--expires-in-days", type=int, default=14)
    member_invite.set_defaults(handler=cmd_member_invite)
    member_list = member_commands.add_parser("list", help="list members (tab-separated)")
    member_list.add_argument("--org", required=True, help="the organisation's slug")
    member_list.add_argument(
        "--status", action="append", choices=["invited", "active", "deactivated"],
        help="only these statuses (repeatable; default: all)",
    )  # fmt: skip
    member_list.set_defaults(handler=cmd_member_list)
    member_deactivate = member_commands.add_parser(
        "deactivate", help="deactivate a member by email (they cannot sign in any more)"
    )
    member_deactivate.add_argument("--org", required=True, help="the organisation's slug")
    member_deactivate.add_argument("--email", required=True)
    member_deactivate.add_argument(
        "--transfer-to", help="email of an active member who takes over what they own"
    )
    member_deactivate.set_defaults(handler=cmd_member_deactivate)

    key = commands.add_parser("key", help="manage an organisation's API keys")
    key_commands = key.add_subparsers(dest="action", required=True)
    key_create = key_commands.add_parser("create", help="create a key; prints it once")
    key_create.add_argument("--org", required=True)
    key_create.add_argument("--name", required=True)
    key_create.add_argument(
        "--scopes",
        required=True,
        help="e.g. read,checkins:write; `scim` alone for an identity provider (SCIM only)",
    )
    key_create.add_argument("--expires-in-days", type=int)
    key_create.set_defaults(handler=cmd_key_create)
    key_revoke = key_commands.add_parser("revoke", help="revoke a key by its prefix")
    key_revoke.add_argument("--org", required=True)
    key_revoke.add_argument("--prefix", required=True)
    key_revoke.set_defaults(handler=cmd_key_revoke)

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
