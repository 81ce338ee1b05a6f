"""`python -m faults <scenario> [options]`: run one fault scenario in a scratch directory, write its figures to
faults/results/<scenario>-<UTC time>.json (or `--out`), print a table, and leave via os._exit."""

from __future__ import annotations

import argparse
from pathlib import Path

from bench.run import main
from faults import concurrent_decisions, fuzz_acts, kill_worker, restart_server, smtp_outage

SCENARIOS = {
    "kill-worker": (kill_worker.kill_worker, kill_worker),
    "restart-server": (restart_server.restart_server, restart_server),
    "smtp-outage": (smtp_outage.smtp_outage, smtp_outage),
    "fuzz-acts": (fuzz_acts.fuzz_acts, fuzz_acts),
    "concurrent-decisions": (concurrent_decisions.concurrent_decisions, concurrent_decisions),
}


def cli() -> None:
    parser = argparse.ArgumentParser(prog="python -m faults", description=__doc__.splitlines()[0])
    scenarios = parser.add_subparsers(dest="scenario", required=True)
    for name, (_, module) in SCENARIOS.items():
        sub = scenarios.add_parser(
            name, help=module.__doc__.split(": ", 1)[1].split("\n")[0], description=module.__doc__
        )
        sub.add_argument("--out", type=Path, help="directory for the results file (default faults/results/)")
        sub.add_argument("--policy", default=module.POLICY, help="policy name or .toml path")
        module.add_arguments(sub)
    args = parser.parse_args()
    main(SCENARIOS[args.scenario][0], args)


if __name__ == "__main__":
    cli()
