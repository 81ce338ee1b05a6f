"""Where `nrm audit` and `nrm stats` read histories from: one case, every case a query finds, or files."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

from plumbing.connection import target
from plumbing.settings import Settings
from starter.audit.history import CaseHistory, case_ids, fetch_case, load_path
from starter.cli.common import progress, settings
from starter.client import NrmClient
from starter.errors import BadInput


class Source:
    """Which histories a command reads: one case, every case a query finds, or files."""

    def __init__(self, reference: str | None, every: bool, query: str | None, from_file: Path | None) -> None:
        chosen = sum([reference is not None, every or query is not None, from_file is not None])
        if chosen != 1:
            raise BadInput("give exactly one of: a case reference, --all [--query ...], or --from-file PATH")
        self.reference, self.query, self.from_file = reference, query, from_file
        self.settings: Settings = settings()

    @property
    def describes(self) -> str:
        if self.from_file:
            return str(self.from_file)
        address, namespace = target(self.settings)
        return f"{address} namespace {namespace}"

    async def cases(self, doing: str = "reading histories") -> AsyncIterator[CaseHistory]:
        """The histories one by one, behind a progress bar on stderr (on a terminal) that says what is `doing`."""
        if self.reference is not None:
            yield await fetch_case((await NrmClient.connect(self.settings)).client, self.reference)
            return
        if self.from_file is not None:
            cases = load_path(self.from_file)
            with progress() as bar:
                task = bar.add_task(doing, total=len(cases))
                for case in cases:
                    yield case
                    bar.advance(task)
            return
        client = (await NrmClient.connect(self.settings)).client
        ids = await case_ids(client, self.query)
        with progress() as bar:
            task = bar.add_task(doing, total=len(ids))
            for wid in ids:
                yield await fetch_case(client, wid)
                bar.advance(task)


def now() -> datetime:
    return datetime.now(UTC)
