"""`nrm`: the coordinators' command line, one module per command group (`starter.cli.app` assembles them).

`main` is imported from here by the console script; the groups load when it runs, not when this package does.
"""

from __future__ import annotations


def main() -> None:
    """Entry point of the `nrm` script."""
    from starter.cli.app import main as run

    run()
