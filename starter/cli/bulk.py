"""What `nrm batch` and `nrm case open --from-csv` share: carrying the lines out behind a progress bar (on stderr, on
a terminal only), each refused line told with its number and reason, and the summary with its exit code."""

from __future__ import annotations

import sys
from collections import Counter
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import typer

from plumbing.exit import ExitCode
from starter.batch import Done, Outcome, Planned, carry_out
from starter.cli.common import as_error, note, one_line, out, print_json, progress, settings
from starter.client import NrmClient
from starter.errors import BadInput


def lines_of(path: Path) -> list[str]:
    """The lines of a file, or of standard input for `-` (read to its end first)."""
    try:
        text = sys.stdin.read() if str(path) == "-" else path.read_text(encoding="utf-8")
    except OSError as exc:
        raise BadInput(f"cannot read {path}: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise BadInput(f"{path} is not UTF-8 text") from None
    return text.splitlines()


async def run(
    items: Iterable[Planned | Done], *, total: int, concurrency: int, as_json: bool, what: str, opens: bool = False
) -> None:
    """Carry the lines out through one connection; with a line refused, exit 3 (README "Exit codes"). Cases
    opened (`opens`) are shown as they open, by line number and reference."""
    client = await NrmClient.connect(settings())
    counts: Counter[Outcome] = Counter()
    rows: list[dict[str, Any]] = []
    with progress() as bar:
        task = bar.add_task(what, total=total)
        async for done in carry_out(client, items, concurrency):
            counts[done.outcome] += 1
            bar.advance(task)
            row: dict[str, Any] = {"line": done.line, "outcome": done.outcome.value, "reference": done.reference}
            if done.error is not None:
                error = as_error(done.error)
                row |= {"kind": error.kind, "error": one_line(error)}
                if not as_json:
                    note(f"line {done.line}: {error.kind}: {row['error']}")
            elif opens and not as_json:
                out.file.write(f"{done.line}\t{done.reference}\n")  # as written: rich would expand the tab
            rows.append(row)
    summary = {outcome.value: counts[outcome] for outcome in Outcome}
    if as_json:
        print_json({**summary, "lines": sorted(rows, key=lambda r: r["line"])})
    else:
        lines = f"{len(rows):,} line{'' if len(rows) == 1 else 's'}"
        note(", ".join(f"{n:,} {name}" for name, n in summary.items()) + f" ({lines})")
    if counts[Outcome.REFUSED]:
        raise typer.Exit(ExitCode.REFUSED)
