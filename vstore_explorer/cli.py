"""The ``vstore-explorer`` command line.

Each sub-command lives next to the code it drives and exposes two functions:
``add_arguments(parser)`` and ``run(args) -> int``. This module only wires them together and turns
the library's own errors into one readable line (no traceback) and a non-zero exit code.

Example:
    $ vstore-explorer demo build
    $ vstore-explorer search "sea surface temperature" --has-virtual-store
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Mapping, Sequence
from types import MappingProxyType

# name -> (module implementing add_arguments/run, one-line help)
COMMANDS: Mapping[str, tuple[str, str]] = MappingProxyType(
    {
        "demo": ("vstore_explorer.demo.cli", "build or describe the embedded demo archive"),
        "search": ("vstore_explorer.catalog.cli", "search collections (CMR or a local catalog)"),
        "build": ("vstore_explorer.build.cli", "build a virtual store from granules"),
        "append": ("vstore_explorer.build.cli_append", "append granules to an Icechunk store"),
        "update": (
            "vstore_explorer.build.cli_update",
            "bring a store built from CMR up to date (new, reprocessed, removed granules)",
        ),
        "open": ("vstore_explorer.stores.cli", "open a virtual store and describe it"),
        "serve": ("vstore_explorer.app.cli", "serve the explorer dashboard"),
    }
)


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """The full argument parser (sub-command modules are imported here, not at start-up).

    With ``only`` (a sub-command's name) only that sub-command's module is imported and given its
    options; the others are listed by name and help only. ``main`` does that for the command it
    runs, so ``serve`` does not import the builders, the CMR client and the store CLI first.
    """
    parser = argparse.ArgumentParser(
        prog="vstore-explorer",
        description="Explore NASA virtual stores (Icechunk / Kerchunk) of CMR collections.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name, (module_name, help_text) in COMMANDS.items():
        if only is not None and name != only:
            sub.add_parser(name, help=help_text, description=help_text)
            continue
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:  # a command whose module is not written yet
            if exc.name and exc.name.startswith("vstore_explorer"):
                continue
            raise
        command = sub.add_parser(name, help=help_text, description=help_text)
        module.add_arguments(command)
        command.set_defaults(_run=module.run)
    return parser


def _command_of(argv: Sequence[str]) -> str | None:
    """The sub-command ``argv`` runs (its first word, when it names one), else None."""
    first = next((word for word in argv if not word.startswith("-")), None)
    return first if first in COMMANDS else None


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the console script; returns the process exit code."""
    words = sys.argv[1:] if argv is None else list(argv)
    parser = build_parser(only=_command_of(words))
    args = parser.parse_args(words)
    try:
        return int(args._run(args) or 0)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except (ValueError, FileNotFoundError, PermissionError, RuntimeError, OSError) as exc:
        print(f"vstore-explorer {args.command}: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
