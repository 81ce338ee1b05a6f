"""`nrm setup`: prepare a namespace of an existing cluster for nrmflow, any number of times.

On a self-hosted cluster it registers nrmflow's search attributes through the operator service (those already
there with the right type are left as they are), applies the daily digest schedule and sets the retention from
NRM_RETENTION. On Temporal Cloud the search attributes and the retention are managed outside the data plane: it
prints the `tcld` commands that do it, applies the schedule, and tells what the namespace still lacks.
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass, field
from typing import Any

from temporalio.api.enums.v1 import IndexedValueType
from temporalio.api.operatorservice.v1 import AddSearchAttributesRequest
from temporalio.client import Client
from temporalio.service import RPCError, RPCStatusCode

from plumbing import search_attributes as sa
from plumbing.settings import Settings
from starter.errors import Unreachable
from starter.retention import namespace_retention, set_namespace_retention
from starter.schedules import apply_schedules


@dataclass
class SetupReport:
    namespace: str
    address: str
    search_attributes: dict[str, str] = field(default_factory=dict)  # name -> added / present / missing
    schedules: dict[str, str] = field(default_factory=dict)
    retention_days: int = 0
    tcld: list[str] = field(default_factory=list)  # --cloud: the commands still to run
    missing: list[str] = field(default_factory=list)  # attributes the namespace still lacks, "Name (Type)"

    @property
    def ready(self) -> bool:
        return not self.missing

    def as_dict(self) -> dict[str, Any]:
        return {
            "namespace": self.namespace,
            "address": self.address,
            "search_attributes": self.search_attributes,
            "schedules": self.schedules,
            "retention_days": self.retention_days,
            "tcld": self.tcld,
            "missing": self.missing,
            "ready": self.ready,
        }


def _report(client: Client) -> SetupReport:
    return SetupReport(namespace=client.namespace, address=client.service_client.config.target_host)


def _no_conflicts(found: sa.Check) -> None:
    if found.conflicts:
        raise Unreachable(found.conflict_message())


async def register_search_attributes(client: Client) -> dict[str, str]:
    """Add the attributes the namespace lacks; name -> "added" or "present"."""
    found = await sa.check(client)
    _no_conflicts(found)
    if found.missing:
        try:
            await client.operator_service.add_search_attributes(
                AddSearchAttributesRequest(
                    namespace=client.namespace,
                    search_attributes={
                        k.name: IndexedValueType.ValueType(k.indexed_value_type.value) for k in found.missing
                    },
                )
            )
        except RPCError as exc:
            if exc.status in (RPCStatusCode.PERMISSION_DENIED, RPCStatusCode.UNIMPLEMENTED):
                raise Unreachable(
                    f"the server does not let this client register search attributes ({exc.message}); on Temporal "
                    "Cloud run `nrm setup --cloud`"
                ) from None
            raise
    after = await sa.check(client)
    _no_conflicts(after)
    if after.missing:
        raise Unreachable(after.message())
    added = {k.name for k in found.missing}
    return {k.name: "added" if k.name in added else "present" for k in sa.ALL}


async def setup(client: Client, settings: Settings) -> SetupReport:
    """A self-hosted cluster: search attributes, the digest schedule, the retention."""
    report = _report(client)
    report.search_attributes = await register_search_attributes(client)
    report.schedules = await apply_schedules(client, settings)
    await set_namespace_retention(client, settings.retention)
    report.retention_days = (await namespace_retention(client)).days
    return report


def tcld_commands(namespace: str, missing: tuple[Any, ...], retention_days: int | None) -> list[str]:
    """The `tcld` commands that give a Cloud namespace the missing attributes and the retention wanted."""
    ns = shlex.quote(namespace)
    commands = []
    if missing:
        flags = " ".join(f"--search-attribute {shlex.quote(f'{k.name}={sa.type_name(k)}')}" for k in missing)
        commands.append(f"tcld namespace search-attributes add --namespace {ns} {flags}")
    if retention_days is not None:
        commands.append(f"tcld namespace retention set --namespace {ns} --retention-days {retention_days}")
    return commands


async def setup_cloud(client: Client, settings: Settings) -> SetupReport:
    """Temporal Cloud: the `tcld` commands still to run, the digest schedule, and what is still missing."""
    report = _report(client)
    found = await sa.check(client)
    _no_conflicts(found)
    current = (await namespace_retention(client)).days
    wanted = settings.retention.days
    report.tcld = tcld_commands(client.namespace, found.missing, wanted if current != wanted else None)
    missing = {k.name for k in found.missing}
    report.search_attributes = {k.name: "missing" if k.name in missing else "present" for k in sa.ALL}
    report.missing = [f"{k.name} ({sa.type_name(k)})" for k in found.missing]
    report.schedules = await apply_schedules(client, settings)
    report.retention_days = current
    return report
