"""The `kettle` command: serve, migrate, doctor, manifest, export."""

from __future__ import annotations

import argparse
import json
import logging
import os
import signal
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from sqlalchemy.exc import OperationalError

from bot.config import ConfigError, database_url_from_env, load_settings

log = logging.getLogger("kettle")


def _setup_logging() -> None:
    level = os.environ.get("KETTLE_LOG_LEVEL", "INFO").upper()
    logging.basicConfig(
        level=getattr(logging, level, logging.INFO),
        format="%(asctime)s %(levelname)s %(name)s %(message)s",
    )
    logging.getLogger("alembic").setLevel(logging.WARNING)


def _fail(message: str) -> int:
    print(f"kettle: {message}", file=sys.stderr)
    return 2


def cmd_migrate(args: argparse.Namespace) -> int:
    from bot import migrate
    from bot.db import make_engine

    engine = make_engine(database_url_from_env())
    applied = migrate.upgrade(engine)
    heads = ", ".join(sorted(migrate.current_revisions(engine)))
    print(f"database {'migrated to' if applied else 'already at'} {heads}")
    engine.dispose()
    return 0


def cmd_doctor(args: argparse.Namespace) -> int:
    """Check the set-up; one line per problem with its fix; exit 1 if any."""
    from bot import doctor
    from bot.db import make_engine
    from bot.server import sqlite_file
    from bot.slack import make_client

    settings = load_settings()
    engine = make_engine(settings.database_url)
    client = make_client(settings.bot_token or None, settings.api_url, max_retries=2)
    workspaces = None
    if settings.oauth:  # each installed workspace is checked with its own token
        from bot.db import make_session_factory
        from bot.delivery import Sender
        from bot.workspaces import Workspaces

        workspaces = Workspaces(
            settings,
            engine,
            make_client=lambda token: make_client(token, settings.api_url, max_retries=2),
            base_sender=Sender(client, make_session_factory(engine)),
        )
    try:
        report = doctor.run_checks(
            settings,
            client=client,
            engine=engine,
            database_file=sqlite_file(settings.database_url),
            workspaces=workspaces,
        )
    finally:
        engine.dispose()
    for finding in report.findings:
        print(finding.line)
    print(doctor.summary(report), file=sys.stderr)
    return 1 if report.problems else 0


def cmd_manifest(args: argparse.Namespace) -> int:
    from bot.manifest import build_manifest, oauth_redirect_url

    url = args.url or os.environ.get("KETTLE_PUBLIC_URL", "https://kettle.example.org")
    socket_mode = args.socket_mode or bool(os.environ.get("SLACK_APP_TOKEN"))
    # OAuth mode, as `kettle serve` decides it: SLACK_CLIENT_ID and SLACK_CLIENT_SECRET set.
    oauth = args.oauth or bool(
        os.environ.get("SLACK_CLIENT_ID", "").strip()
        and os.environ.get("SLACK_CLIENT_SECRET", "").strip()
    )
    manifest = build_manifest(url, name=args.name, socket_mode=socket_mode, oauth=oauth)
    print(json.dumps(manifest, indent=2))
    if oauth:
        print(
            f"OAuth redirect URL: {oauth_redirect_url(url)} (the install page: "
            f"{url.rstrip('/')}/slack/install)",
            file=sys.stderr,
        )
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    from bot import migrate
    from bot.db import make_engine, make_session_factory, unit_of_work
    from bot.services.knowledge.export import render

    if args.with_secrets and (args.purpose != "backup" or args.format != "json"):
        return _fail(
            "--with-secrets is for a JSON backup (--for backup --format json): "
            "nothing else holds a secret"
        )
    engine = make_engine(database_url_from_env())
    migrate.require_current(engine)
    with unit_of_work(make_session_factory(engine)) as session:
        text = render(
            session,
            fmt=args.format,
            purpose=args.purpose,
            community_id=args.community,
            with_secrets=args.with_secrets,
        )
    said = args.purpose
    if args.purpose == "backup" and args.format == "json":
        said += (
            ", with secrets: it holds the workspaces' live tokens, keep it as safe as the database"
            if args.with_secrets
            else ", secrets left out: a database rebuilt from it needs Kettle installed again "
            "through /slack/install in each workspace"
        )
    if args.output and args.output != "-":
        Path(args.output).write_text(text, encoding="utf-8")
        print(f"wrote {args.output} ({said})", file=sys.stderr)
    else:
        sys.stdout.write(text)
        print(f"wrote the export to standard output ({said})", file=sys.stderr)
    engine.dispose()
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    from bot.server import Server

    settings = load_settings()

    def _terminate(signum: int, _frame: Any) -> None:
        log.info("received signal %s; shutting down", signum)
        raise KeyboardInterrupt

    # Installed before start-up, so a SIGTERM while migrating or syncing also stops cleanly.
    signal.signal(signal.SIGTERM, _terminate)
    server = Server(settings, migrate_on_start=not args.no_migrate)
    try:
        server.prepare()
        server.run(port=args.port or settings.port)
    except KeyboardInterrupt:
        pass
    finally:
        server.shutdown()
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="kettle", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="run Kettle (HTTP, or Socket Mode with SLACK_APP_TOKEN)")
    serve.add_argument("--port", type=int, default=None, help="override $PORT")
    serve.add_argument("--no-migrate", action="store_true", help="refuse to start on an old schema")
    serve.set_defaults(func=cmd_serve)

    mig = sub.add_parser("migrate", help="apply database migrations")
    mig.set_defaults(func=cmd_migrate)

    doc = sub.add_parser(
        "doctor",
        help="check the token's scopes, the channels, the database, the file store and the "
        "scheduler lease; one line per problem with its fix",
    )
    doc.set_defaults(func=cmd_doctor)

    man = sub.add_parser("manifest", help="print the Slack app manifest (JSON)")
    man.add_argument("--url", help="public base URL of Kettle (default $KETTLE_PUBLIC_URL)")
    man.add_argument("--name", default="Kettle", help="the app's name in Slack")
    man.add_argument("--socket-mode", action="store_true", help="manifest for Socket Mode")
    man.add_argument(
        "--oauth",
        action="store_true",
        help="manifest for installing in many workspaces (implied by SLACK_CLIENT_ID)",
    )
    man.set_defaults(func=cmd_manifest)

    exp = sub.add_parser(
        "export",
        help="export the story library (for sharing: only what authors allowed) or a full backup",
    )
    exp.add_argument("--output", "-o", help="file to write (default: standard output)")
    exp.add_argument("--community", type=int, help="only this community's id")
    exp.add_argument("--format", choices=("json", "csv", "markdown"), default="json")
    exp.add_argument(
        "--for",
        dest="purpose",
        choices=("sharing", "backup"),
        default="sharing",
        help="sharing (default): stories allowed beyond the CoP, names only where allowed; "
        "backup: everything Kettle stores, confidential, its secrets left out",
    )
    exp.add_argument(
        "--with-secrets",
        action="store_true",
        help="a JSON backup with the workspaces' live bot, refresh and user tokens and install "
        "states, so a database rebuilt from it needs no new install (keep it as the database)",
    )
    exp.set_defaults(func=cmd_export)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    _setup_logging()
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args))
    except ConfigError as exc:
        return _fail(str(exc))
    except OperationalError as exc:
        return _fail(
            f"cannot reach the database ({type(exc.orig).__name__}): check DATABASE_URL "
            "and that the server is running"
        )
    except Exception as exc:
        from bot.migrate import DatabaseBehind
        from bot.server import StartupError

        if isinstance(exc, DatabaseBehind | StartupError):
            return _fail(str(exc))
        raise


if __name__ == "__main__":
    sys.exit(main())
