"""A TLS-terminating proxy on loopback in front of the dev server (which cannot serve TLS itself), with a test CA
that signs the proxy's certificate and the clients' certificates: mutual TLS as a real cluster asks for it, or, as
Temporal Cloud's API keys, server TLS with the key in each request's `authorization` header, which the proxy reads
off the first request of a connection (h2) before it relays anything. The proxy relays the decrypted bytes (gRPC
over HTTP/2) to the dev server as they come."""

from __future__ import annotations

import asyncio
import datetime as dt
import ipaddress
import ssl
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from h2.config import H2Configuration
from h2.connection import H2Connection
from h2.events import RequestReceived

SERVER_NAME = "temporal.test.invalid"


@dataclass(frozen=True)
class Pair:
    cert: Path
    key: Path


def _name(common: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common)])


def _write(directory: Path, stem: str, cert: x509.Certificate, key: ec.EllipticCurvePrivateKey) -> Pair:
    pair = Pair(directory / f"{stem}.pem", directory / f"{stem}.key")
    pair.cert.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    pair.key.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    pair.key.chmod(0o600)
    return pair


class CertificateAuthority:
    """A certificate authority for one test: it signs a server certificate for SERVER_NAME and client certificates."""

    def __init__(self, directory: Path, name: str) -> None:
        self.directory = directory
        self.key = ec.generate_private_key(ec.SECP256R1())
        now = dt.datetime.now(dt.UTC)
        self.cert = (
            x509.CertificateBuilder()
            .subject_name(_name(name))
            .issuer_name(_name(name))
            .public_key(self.key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(minutes=5))
            .not_valid_after(now + dt.timedelta(days=1))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(self.key, hashes.SHA256())
        )
        self.pem = directory / f"{name}-ca.pem"
        self.pem.write_bytes(self.cert.public_bytes(serialization.Encoding.PEM))

    def issue(self, stem: str, *, server: bool) -> Pair:
        key = ec.generate_private_key(ec.SECP256R1())
        now = dt.datetime.now(dt.UTC)
        builder = (
            x509.CertificateBuilder()
            .subject_name(_name(SERVER_NAME if server else stem))
            .issuer_name(self.cert.subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(minutes=5))
            .not_valid_after(now + dt.timedelta(days=1))
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(
                x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH if server else ExtendedKeyUsageOID.CLIENT_AUTH]),
                critical=False,
            )
        )
        if server:
            names = [x509.DNSName(SERVER_NAME), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            builder = builder.add_extension(x509.SubjectAlternativeName(names), critical=False)
        return _write(self.directory, stem, builder.sign(self.key, hashes.SHA256()), key)


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    with suppress(ConnectionError, OSError):
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    with suppress(ConnectionError, OSError, RuntimeError):
        writer.close()


async def _first_request_headers(reader: asyncio.StreamReader) -> tuple[dict[str, str], bytes]:
    """Read a client's HTTP/2 bytes until its first request's headers: (those headers, every byte read)."""
    connection = H2Connection(H2Configuration(client_side=False, validate_inbound_headers=False))
    connection.initiate_connection()
    read = b""
    while data := await reader.read(65536):
        read += data
        for event in connection.receive_data(data):
            if isinstance(event, RequestReceived):
                headers = {
                    (k.decode() if isinstance(k, bytes) else k): (v.decode() if isinstance(v, bytes) else v)
                    for k, v in event.headers or []
                }
                return headers, read
        connection.data_to_send()  # what a server would answer is the real server's to send
    return {}, read


@asynccontextmanager
async def tls_proxy(ca: CertificateAuthority, upstream: str, *, api_key: str | None = None) -> AsyncIterator[str]:
    """Serve TLS on 127.0.0.1, relaying to `upstream` in clear; yields the proxy's HOST:PORT. Without `api_key`,
    mutual TLS: clients must hold a certificate of `ca`. With it, server TLS only, and a connection whose first
    request does not carry `authorization: Bearer <api_key>` is closed before anything reaches the server."""
    server_pair = ca.issue("proxy", server=True)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH, cafile=str(ca.pem))
    context.load_cert_chain(server_pair.cert, server_pair.key)
    context.verify_mode = ssl.CERT_NONE if api_key else ssl.CERT_REQUIRED
    context.set_alpn_protocols(["h2"])  # gRPC over TLS negotiates HTTP/2
    host, _, port = upstream.rpartition(":")

    async def relay(client_reader: asyncio.StreamReader, client_writer: asyncio.StreamWriter) -> None:
        first = b""
        if api_key is not None:
            headers, first = await _first_request_headers(client_reader)
            if headers.get("authorization") != f"Bearer {api_key}":
                client_writer.close()
                return
        try:
            server_reader, server_writer = await asyncio.open_connection(host, int(port))
        except OSError:
            client_writer.close()
            return
        server_writer.write(first)
        await asyncio.gather(_pipe(client_reader, server_writer), _pipe(server_reader, client_writer))

    server = await asyncio.start_server(relay, "127.0.0.1", 0, ssl=context)
    try:
        yield f"127.0.0.1:{server.sockets[0].getsockname()[1]}"
    finally:
        server.close()
        with suppress(Exception):
            await asyncio.wait_for(server.wait_closed(), 5)


def profile(path: Path, address: str, ca: Path, client: Pair | None, api_key: str | None = None) -> Path:
    """A temporal.toml with one profile `cluster` that reaches `address` over TLS, as the `temporal` CLI reads it."""
    lines = [
        "[profile.cluster]",
        f'address = "{address}"',
        'namespace = "default"',
        *([f'api_key = "{api_key}"'] if api_key else []),
        "",
        "[profile.cluster.tls]",
        f'server_ca_cert_path = "{ca}"',
        f'server_name = "{SERVER_NAME}"',
    ]
    if client is not None:
        lines += [f'client_cert_path = "{client.cert}"', f'client_key_path = "{client.key}"']
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path
