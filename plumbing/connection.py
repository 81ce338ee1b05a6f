"""How the worker and the client reach Temporal: address, namespace, and the encrypting data converter."""

from __future__ import annotations

from temporalio.api.workflowservice.v1 import DescribeNamespaceRequest
from temporalio.client import Client
from temporalio.converter import DataConverter, DefaultFailureConverterWithEncodedAttributes
from temporalio.service import RPCError, RPCStatusCode

from plumbing.codec import EncryptionCodec, KeyRing
from plumbing.payloads import ActPayloadConverter
from plumbing.settings import Settings


def data_converter(settings: Settings, *, worker: bool = False) -> DataConverter:
    """Pydantic models in, AES-GCM ciphertext out; failure messages are encrypted too. A worker's codec marks what it
    cannot decrypt instead of failing the whole workflow task, so that such an act is refused alone."""
    return DataConverter(
        payload_converter_class=ActPayloadConverter,
        payload_codec=EncryptionCodec(KeyRing.load(settings.key_path), mark_undecodable=worker),
        failure_converter_class=DefaultFailureConverterWithEncodedAttributes,
    )


class Unavailable(RuntimeError):
    """Temporal cannot be used: the server does not answer, or the namespace does not exist."""


async def connect(settings: Settings) -> Client:
    """A client on the namespace, which must exist: a worker on a misspelt one would wait forever in silence."""
    try:
        client = await Client.connect(
            settings.temporal_address,
            namespace=settings.temporal_namespace,
            data_converter=data_converter(settings),
        )
    except RuntimeError as exc:
        raise Unavailable(f"cannot reach Temporal at {settings.temporal_address}: {exc}") from None
    try:
        await client.workflow_service.describe_namespace(DescribeNamespaceRequest(namespace=client.namespace))
    except RPCError as exc:
        if exc.status != RPCStatusCode.NOT_FOUND:
            raise
        raise Unavailable(
            f"namespace {client.namespace} does not exist on {settings.temporal_address} (TEMPORAL_NAMESPACE)"
        ) from None
    return client
