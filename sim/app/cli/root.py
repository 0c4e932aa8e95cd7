"""The command line's root: one error handler around every command, and the `crmsim` Typer app."""

from __future__ import annotations

import sys
from typing import Annotated

import typer
import typer.core

from optimize.errors import InputError, OptimizationError
from sim.app.console import (
    fail,
    out_console,
)
from sim.app.outputs import (
    commit_outputs,
    discard_outputs,
)
from sim.app.staging import DISK_ERRNOS, disk_message
from sim.errors import UsageError
from sim.version import __version__

# Every error a user can fix derives from one of these (ScenarioError, LogError and CalibrationError from UsageError).
USER_ERRORS = (UsageError, InputError, OptimizationError)


class OneHandler(typer.core.TyperGroup):
    """Every command runs inside one error handler, so no command catches errors of its own."""

    def invoke(self, ctx: typer.Context):
        try:
            result = super().invoke(ctx)
            commit_outputs(" ".join(["crmsim", *sys.argv[1:]]))
        except USER_ERRORS as exc:
            discard_outputs()
            fail(str(exc))
        except typer.BadParameter as exc:  # a value outside an option's choices: one line, like every user error
            discard_outputs()
            path = exc.ctx.command_path.split()[1:] if exc.ctx is not None else []  # the root may run as another name
            where = f" (see `{' '.join(['crmsim', *path])} -h`)"
            message = exc.format_message().replace("Value error, ", "")  # typer's Literal check prefixes this
            fail(message + where)
        except OSError as exc:  # a full disk, a read-only folder: one line, and no half-written folder
            discard_outputs()
            if exc.errno not in DISK_ERRNOS:
                raise
            fail(disk_message(exc))
        except BaseException:  # interrupted or crashed: no half-written folder is left behind
            discard_outputs()
            raise
        return result


app = typer.Typer(
    cls=OneHandler,
    help="crmsim: simulate customer relationships (stages, loyalty ladder, strategies) "
    "and optimize customer portfolios.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},  # subcommands inherit it (click.Context)
)


@app.callback(invoke_without_command=True)
def _root(version: Annotated[bool, typer.Option("--version", help="Show the version and exit.")] = False) -> None:
    if version:
        out_console.print(f"crmsim {__version__}")
        raise typer.Exit()
