"""How the worker and the client reach Temporal: address, namespace, and the encrypting data converter."""

from __future__ import annotations

from temporalio.client import Client
from temporalio.converter import DataConverter, DefaultFailureConverterWithEncodedAttributes

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


async def connect(settings: Settings) -> Client:
    return await Client.connect(
        settings.temporal_address,
        namespace=settings.temporal_namespace,
        data_converter=data_converter(settings),
    )
