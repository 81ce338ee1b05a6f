"""Retention: Temporal deletes a closed workflow's history (its referral, decisions and status with it) once the
namespace's retention period has passed since it closed. One period per namespace, applied by `nrm up` to the
embedded server and by `nrm retention --apply` (or `temporal operator namespace update --retention`) to a cluster.
"""

from __future__ import annotations

from datetime import timedelta

from google.protobuf.duration_pb2 import Duration
from temporalio.api.namespace.v1 import NamespaceConfig
from temporalio.api.workflowservice.v1 import DescribeNamespaceRequest, UpdateNamespaceRequest
from temporalio.client import Client


async def namespace_retention(client: Client) -> timedelta:
    described = await client.workflow_service.describe_namespace(DescribeNamespaceRequest(namespace=client.namespace))
    return described.config.workflow_execution_retention_ttl.ToTimedelta()


async def set_namespace_retention(client: Client, period: timedelta) -> None:
    ttl = Duration()
    ttl.FromTimedelta(period)
    await client.workflow_service.update_namespace(
        UpdateNamespaceRequest(
            namespace=client.namespace,
            config=NamespaceConfig(workflow_execution_retention_ttl=ttl),
        )
    )
