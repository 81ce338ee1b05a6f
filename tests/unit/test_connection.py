"""The connection as every Temporal tool reads it (temporalio.envconfig): profiles, API key and mTLS pass through
to Client.connect; an address or namespace given in the Settings wins over the environment."""

from __future__ import annotations

from pathlib import Path

import pytest
from temporalio.service import TLSConfig

from plumbing.connection import ConnectionConfigError, connect_config
from plumbing.settings import Settings


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> pytest.MonkeyPatch:
    """No TEMPORAL_* of the machine's, and no default temporal.toml of the user's."""
    for name in ("TEMPORAL_ADDRESS", "TEMPORAL_NAMESPACE", "TEMPORAL_API_KEY", "TEMPORAL_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("TEMPORAL_CONFIG_FILE", str(tmp_path / "none.toml"))
    return monkeypatch


def settings(**given: str) -> Settings:
    return Settings(_env_file=None, **given)  # type: ignore[arg-type]


def test_defaults_are_the_sdks(clean_env: pytest.MonkeyPatch) -> None:
    assert connect_config(settings()) == {"target_host": "localhost:7233", "namespace": "default"}


def test_an_api_key_turns_tls_on(clean_env: pytest.MonkeyPatch) -> None:
    clean_env.setenv("TEMPORAL_ADDRESS", "ns.acct.tmprl.cloud:7233")
    clean_env.setenv("TEMPORAL_NAMESPACE", "ns.acct")
    clean_env.setenv("TEMPORAL_API_KEY", "secret-key")
    config = connect_config(settings())
    assert config == {
        "target_host": "ns.acct.tmprl.cloud:7233",
        "namespace": "ns.acct",
        "api_key": "secret-key",
        "tls": True,
    }


def test_a_profile_with_client_certificates(clean_env: pytest.MonkeyPatch, tmp_path: Path) -> None:
    (tmp_path / "client.pem").write_text("CERT")
    (tmp_path / "client.key").write_text("KEY")
    profile = tmp_path / "temporal.toml"
    profile.write_text(
        '[profile.prod]\naddress = "prod.example.org:7233"\nnamespace = "nrm"\n'
        f'[profile.prod.tls]\nclient_cert_path = "{tmp_path / "client.pem"}"\n'
        f'client_key_path = "{tmp_path / "client.key"}"\nserver_name = "temporal.example.org"\n'
    )
    clean_env.setenv("TEMPORAL_CONFIG_FILE", str(profile))
    clean_env.setenv("TEMPORAL_PROFILE", "prod")
    config = connect_config(settings())
    assert (config["target_host"], config["namespace"]) == ("prod.example.org:7233", "nrm")
    tls = config["tls"]
    assert isinstance(tls, TLSConfig)
    assert (tls.client_cert, tls.client_private_key, tls.domain) == (b"CERT", b"KEY", "temporal.example.org")
    # given in the Settings (tests, `nrm up`), the address and namespace win; the rest of the profile stays
    explicit = connect_config(settings(temporal_address="127.0.0.1:7999", temporal_namespace="other"))
    assert (explicit["target_host"], explicit["namespace"], explicit["tls"]) == ("127.0.0.1:7999", "other", tls)
    assert connect_config(settings(), environment=False) == {"target_host": "localhost:7233", "namespace": "default"}


def test_an_unreadable_certificate_is_a_configuration_error(clean_env: pytest.MonkeyPatch, tmp_path: Path) -> None:
    clean_env.setenv("TEMPORAL_TLS_CLIENT_CERT_PATH", str(tmp_path / "missing.pem"))
    with pytest.raises(ConnectionConfigError, match=r"^invalid Temporal connection configuration \(TEMPORAL_TLS_\*"):
        connect_config(settings())
