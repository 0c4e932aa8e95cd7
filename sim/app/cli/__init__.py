"""The `crmsim` command line: each command parses its options, calls the library, writes and prints the results.

One module per command group (:mod:`.run`, :mod:`.optimize`, :mod:`.study`, :mod:`.share`, :mod:`.calibrate`);
the options they share are declared once in :mod:`.options`.  All errors a user can fix (scenario, log,
calibration, option and optimization errors) reach one handler (:mod:`.root`) that prints one line and exits 2.
"""

from __future__ import annotations

import datetime as dt
import importlib
import sys
import tempfile
import traceback
from pathlib import Path

from rich.markup import escape

from sim.app.cli.root import USER_ERRORS, app  # noqa: F401  (the app, and what the tests and the dashboard import)
from sim.app.console import err_console

for _group in ("run", "optimize", "study", "share", "calibrate"):  # registers the commands, in --help order
    importlib.import_module(f"sim.app.cli.{_group}")


def main() -> None:
    """Console-script entry point: an unexpected error is one line on stderr, its traceback in a log file, exit 1.

    Typer itself reports usage errors (a missing argument, an unknown option) and user errors reach the
    commands' one handler; what still arrives here is a bug.
    """
    try:
        app()
    except Exception as exc:
        log = Path(tempfile.gettempdir()) / f"crmsim-error-{dt.datetime.now():%Y%m%d-%H%M%S}.log"
        log.write_text(traceback.format_exc(), encoding="utf-8")
        err_console.print(
            f"[bold red]error:[/] unexpected {type(exc).__name__}: {escape(str(exc))[:300]}\n"
            f"the traceback is in {log}; please report it with the command you ran",
            highlight=False,
            soft_wrap=True,
        )
        sys.exit(1)
