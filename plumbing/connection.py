"""How the worker and the client reach Temporal: address, namespace, and the encrypting data converter."""

from __future__ import annotations

import dataclasses

from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.converter import DataConverter, DefaultFailureConverterWithEncodedAttributes

from plumbing.codec import EncryptionCodec, KeyRing
from plumbing.settings import Settings


def data_converter(settings: Settings) -> DataConverter:
    """Pydantic models in, AES-GCM ciphertext out; failure messages are encrypted too."""
    return dataclasses.replace(
        pydantic_data_converter,
        payload_codec=EncryptionCodec(KeyRing.load(settings.key_path)),
        failure_converter_class=DefaultFailureConverterWithEncodedAttributes,
    )


async def connect(settings: Settings) -> Client:
    return await Client.connect(
        settings.temporal_address,
        namespace=settings.temporal_namespace,
        data_converter=data_converter(settings),
    )
