"""Mutual TLS through a `temporal.toml` profile, as on a real cluster or Temporal Cloud: `nrm worker` and `nrm case
...` reach the dev server only through a TLS-terminating proxy on loopback (tests/integration/tls_proxy.py) that
requires a client certificate of its CA; a certificate of another CA, or none, is one clear error line."""

from __future__ import annotations

from pathlib import Path

from plumbing.exit import ExitCode
from plumbing.settings import Settings
from starter.client import NrmClient
from tests.integration.helpers import FIRST_RESPONDER, adult_referral
from tests.integration.nrm_cli import run_nrm
from tests.integration.tls_proxy import CertificateAuthority, profile, tls_proxy
from tests.integration.workers import worker_processes


def _through(cli_env: dict[str, str], config: Path, queue: str) -> dict[str, str]:
    """The CLI's environment with no address of its own: the profile alone says where Temporal is, and how."""
    env = {k: v for k, v in cli_env.items() if k != "TEMPORAL_ADDRESS"}
    return env | {"TEMPORAL_CONFIG_FILE": str(config), "TEMPORAL_PROFILE": "cluster", "NRM_TASK_QUEUE": queue}


async def test_a_worker_and_the_cli_work_through_mutual_tls_and_a_wrong_certificate_is_refused(
    settings: Settings, cli_env: dict[str, str], tmp_path: Path
) -> None:
    ca = CertificateAuthority(tmp_path, "cluster")
    client = ca.issue("nrm-client", server=False)
    stranger = CertificateAuthority(tmp_path, "stranger").issue("stranger-client", server=False)
    queue = f"{settings.task_queue}-tls"
    async with tls_proxy(ca, settings.temporal_address) as address:
        good = _through(cli_env, profile(tmp_path / "good.toml", address, ca.pem, client), queue)
        async with worker_processes() as start:
            worker = await start("all", good, tmp_path / "worker.log")
            opened = await run_nrm(
                "case", "open", "--as", "first_responder:fr-1", "--first-responder", "fr-1",
                "--cross-border", "--consent", "--json",
                env=good,
            )  # fmt: skip
            reference = opened.json()["reference"]
            decided = await run_nrm(
                "case", "decide", "stage1", reference, "--outcome", "positive", "--reasons", "indicators",
                "--as", "competent_authority:ca-1", "--json",
                env=good,
            )  # fmt: skip
            assert decided.json()["stage"] == "presumed_victim"  # the worker, through TLS, carried the act out
            shown = await run_nrm("case", "show", reference, "--json", env=good)
            assert shown.json()["reference"] == reference
            assert await worker.terminate() == 0
            assert "Traceback" not in (tmp_path / "worker.log").read_text()

        wrong = _through(cli_env, profile(tmp_path / "wrong.toml", address, ca.pem, stranger), queue)
        refused = await run_nrm("case", "show", reference, env=wrong)
        line = refused.error_line(ExitCode.UNAVAILABLE)
        assert (
            f"cannot reach Temporal at {address} (over TLS: check that the server accepts the client certificate"
            in line
        )
        without = _through(cli_env, profile(tmp_path / "none.toml", address, ca.pem, None), queue)
        assert (await run_nrm("case", "show", reference, env=without)).code == ExitCode.UNAVAILABLE


async def test_the_cli_works_through_tls_with_an_api_key_and_a_wrong_key_is_refused(
    nrm: NrmClient, settings: Settings, cli_env: dict[str, str], tmp_path: Path
) -> None:
    ca = CertificateAuthority(tmp_path, "cloud")
    reference = await nrm.open_case(adult_referral(), FIRST_RESPONDER)
    async with tls_proxy(ca, settings.temporal_address, api_key="key-of-the-nrm-namespace") as address:
        good = _through(cli_env, profile(tmp_path / "key.toml", address, ca.pem, None, "key-of-the-nrm-namespace"), "")
        shown = await run_nrm("case", "show", reference, "--json", env=good | {"NRM_TASK_QUEUE": settings.task_queue})
        assert shown.json()["reference"] == reference
        wrong = _through(cli_env, profile(tmp_path / "bad.toml", address, ca.pem, None, "a-stolen-key"), "")
        refused = await run_nrm("case", "show", reference, env=wrong | {"NRM_TASK_QUEUE": settings.task_queue})
        assert refused.error_line(ExitCode.UNAVAILABLE).startswith(
            f"error: cannot reach Temporal at {address} (over TLS"
        )
