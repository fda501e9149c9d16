"""``lienzo``: the one command line, one module per command.

Subcommands: ``paint`` (a photo or a clip painted: ``engine.cli.paint``),
``styles`` (the catalogue: ``engine.cli.styles``), ``worker`` (one engine
worker: ``engine.worker.command``) and ``bot`` (registered by the bot package as
an entry point, so the engine never imports the bot).  Each command reads the
settings once, when it starts (docs/architecture.md, "Settings").  Anything a
user can get wrong ends as one line on stderr and exit status 2; Keras is only
imported by the subcommands that need it, so ``lienzo styles`` is instant.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable
from importlib.metadata import EntryPoint, entry_points

from engine.cli import paint, styles
from engine.errors import LienzoError
from engine.worker import command as worker_command

EXIT_USAGE = 2


def _build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="lienzo", description="Repaint photos as paintings.")
    sub = parser.add_subparsers(dest="command", required=True)
    paint.add_arguments(sub.add_parser("paint", help="stylise a photo"))
    worker_command.add_arguments(
        sub.add_parser("worker", help="run one engine worker (takes jobs from the queue)"))
    for name, entry in _plugins().items():  # `lienzo bot`, from the bot package
        sub.add_parser(name, help=f"provided by {entry.value.split(':')[0]}")
    styles.add_arguments(sub.add_parser("styles", help="list the style catalogue"))
    return parser


def _plugins() -> dict[str, EntryPoint]:
    """Subcommands other packages add (entry points ``lienzo.commands``).

    The engine never imports the bot; the bot registers ``lienzo bot`` here.
    """
    return {ep.name: ep for ep in entry_points(group="lienzo.commands")}


def main(argv: list[str] | None = None) -> int:
    args = _build_parser().parse_args(argv)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    try:
        commands = {"paint": paint.main, "styles": styles.main, "worker": worker_command.main}
        if args.command not in commands:
            command: Callable[[], int] = _plugins()[args.command].load()
            return command()
        return commands[args.command](args)
    except LienzoError as exc:
        print(f"lienzo: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except OSError as exc:  # unreadable input, unwritable output
        print(f"lienzo: {exc.strerror or exc}: {exc.filename or ''}".rstrip(": "),
              file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        return 130

