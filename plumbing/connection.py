"""How the worker and the client reach Temporal: the connection as every Temporal tool reads it, the namespace
check, and the encrypting data converter.

The connection comes from the SDK's environment configuration (`temporalio.envconfig`), the one the `temporal`
CLI reads: a profile of the shared `temporal.toml` (TEMPORAL_CONFIG_FILE, TEMPORAL_PROFILE) with the environment
over it (TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, TEMPORAL_API_KEY, TEMPORAL_TLS*, ...). An address or namespace given
in the Settings (programmatically, or by `nrm up` for its own server) wins over both.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from temporalio.api.workflowservice.v1 import DescribeNamespaceRequest
from temporalio.client import Client, Interceptor
from temporalio.converter import DataConverter, DefaultFailureConverterWithEncodedAttributes
from temporalio.envconfig import ClientConfig, ClientConnectConfig
from temporalio.runtime import Runtime
from temporalio.service import RPCError, RPCStatusCode

from plumbing.codec import EncryptionCodec, KeyRing
from plumbing.payloads import ActPayloadConverter
from plumbing.settings import Settings

DEFAULT_ADDRESS = "localhost:7233"
DEFAULT_NAMESPACE = "default"


def data_converter(settings: Settings, *, worker: bool = False) -> DataConverter:
    """Pydantic models in, AES-GCM ciphertext out; failure messages are encrypted too. A worker's codec marks what it
    cannot decrypt instead of failing the whole workflow task, so that such an act is refused alone."""
    return DataConverter(
        payload_converter_class=ActPayloadConverter,
        payload_codec=EncryptionCodec(KeyRing.configured(settings), mark_undecodable=worker),
        failure_converter_class=DefaultFailureConverterWithEncodedAttributes,
    )


class Unavailable(RuntimeError):
    """Temporal cannot be used: the server does not answer, or the namespace does not exist."""


class ConnectionConfigError(ValueError):
    """The Temporal environment configuration cannot be used: a profile that is not in the file, a file that is
    not TOML, a TLS file that cannot be read."""


_TOML_EXCERPT = re.compile(r"^\s*(\d+\s*)?\|")  # the quoted lines of a TOML parse error


def _one_line(message: str) -> str:
    lines = [line.strip() for line in message.splitlines() if line.strip() and not _TOML_EXCERPT.match(line)]
    return ": ".join(lines)


def connect_config(settings: Settings, *, environment: bool = True) -> ClientConnectConfig:
    """The arguments of `Client.connect`: the environment configuration (unless `environment` is False, as for
    `nrm up`'s own server), then the Settings' address and namespace over it, then the SDK's defaults."""
    config: ClientConnectConfig = {}
    if environment:
        try:
            config = ClientConfig.load_client_connect_config()
        except OSError as exc:  # a TLS certificate or key file named by TEMPORAL_TLS_* or the profile
            raise ConnectionConfigError(
                f"invalid Temporal connection configuration (TEMPORAL_TLS_*, or the profile's tls): cannot read "
                f"{exc.filename or 'a certificate or key file'}: {exc.strerror}"
            ) from None
        except RuntimeError as exc:  # temporalio's ConfigError: a missing profile, a file that does not parse
            where = "TEMPORAL_CONFIG_FILE, TEMPORAL_PROFILE"
            raise ConnectionConfigError(
                f"invalid Temporal connection configuration ({where}): {_one_line(str(exc))}"
            ) from None
    if settings.temporal_address:
        config["target_host"] = settings.temporal_address
    if settings.temporal_namespace:
        config["namespace"] = settings.temporal_namespace
    config.setdefault("target_host", DEFAULT_ADDRESS)
    config.setdefault("namespace", DEFAULT_NAMESPACE)
    return config


def target(settings: Settings) -> tuple[str, str]:
    """The address and namespace the settings reach, for messages."""
    config = connect_config(settings)
    return config["target_host"], config["namespace"]


async def connect(
    settings: Settings,
    *,
    environment: bool = True,
    runtime: Runtime | None = None,
    interceptors: Sequence[Interceptor] = (),
) -> Client:
    """A client on the namespace, which must exist: a worker on a misspelt one would wait forever in silence.
    A worker's `runtime` serves its metrics and its `interceptors` trace (plumbing.telemetry)."""
    config = connect_config(settings, environment=environment)
    address = config["target_host"]
    try:
        client = await Client.connect(
            **config, data_converter=data_converter(settings), runtime=runtime, interceptors=interceptors
        )
    except RuntimeError as exc:
        hint = ""
        if config.get("tls"):  # a TLS server that ends the handshake: most often a certificate it does not accept
            hint = (
                " (over TLS: check that the server accepts the client certificate and that the server's CA and name"
                " are right: TEMPORAL_TLS_* or the profile's tls)"
            )
        raise Unavailable(f"cannot reach Temporal at {address}{hint}: {exc}") from None
    try:
        await client.workflow_service.describe_namespace(DescribeNamespaceRequest(namespace=client.namespace))
    except RPCError as exc:
        if exc.status != RPCStatusCode.NOT_FOUND:
            raise
        raise Unavailable(f"namespace {client.namespace} does not exist on {address} (TEMPORAL_NAMESPACE)") from None
    return client
