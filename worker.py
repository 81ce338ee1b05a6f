"""The nrmflow worker in its roles: `cases` runs the workflows (one plugin, workflows.plugin) and the digest's
query on NRM_TASK_QUEUE; `delivery` runs the notification activities on NRM_DELIVERY_TASK_QUEUE (workflows.delivery),
so that delivery can run in another network zone and scale apart; `all` (the default) runs both in one process.

`python worker.py` and `nrm worker [--role ROLE]` run it against the namespace of the Temporal connection settings
(TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, a `temporal.toml` profile: plumbing.connection); `nrm up` runs it beside the
embedded dev server. With NRM_HEALTH_BIND it answers /healthz and /readyz (plumbing.health), with NRM_METRICS_BIND
it serves Prometheus metrics (plumbing.telemetry).
"""

from __future__ import annotations

import asyncio
import signal
import sys
from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from datetime import timedelta
from typing import Any, Literal

import structlog
from temporalio.client import Client
from temporalio.common import VersioningBehavior, WorkerDeploymentVersion
from temporalio.worker import Worker, WorkerDeploymentConfig

from activities.channels import Channel, MaildirChannel, SmtpChannel, SmtpConfig, WebhookChannel, WebhookConfig
from activities.digest import DigestActivities
from activities.notifications import NotificationActivities
from plumbing import search_attributes
from plumbing.actor_directory import ActorDirectoryFollower
from plumbing.connection import ConnectionConfigError, Unavailable, connect, data_converter
from plumbing.health import Readiness, health_app, serve
from plumbing.logs import configure_logging
from plumbing.private_files import PrivateFileError
from plumbing.settings import BindTaken, Settings
from plumbing.telemetry import OpenCasesGauge, Tracing, TracingUnavailable, metrics_runtime
from workflows.plugin import nrm_plugin

log = structlog.get_logger(__name__)

SHUTDOWN_GRACE = timedelta(seconds=10)
HEALTH_CHECK_TIMEOUT = timedelta(seconds=2)  # /readyz answers within a probe's usual timeout

Role = Literal["all", "cases", "delivery"]
ROLES: tuple[Role, ...] = ("all", "cases", "delivery")


def channel(settings: Settings, kind: str, webhook_url: str | None = None) -> Channel:
    """The notification channel named by NRM_NOTIFY_CHANNEL / NRM_ASSESSMENT_CHANNEL, from the settings."""
    if kind == "smtp":
        return SmtpChannel(
            SmtpConfig(
                host=settings.smtp_host,
                port=settings.smtp_port,
                tls=settings.smtp_tls,
                username=settings.smtp_username,
                password=settings.smtp_password.get_secret_value() if settings.smtp_password else None,
                timeout=settings.smtp_timeout,
                mail_domain=settings.mail_domain,
            )
        )
    if kind == "webhook":
        url = webhook_url or settings.webhook_url
        if not url or settings.webhook_secret is None:
            raise ValueError("the webhook channel needs NRM_WEBHOOK_URL and NRM_WEBHOOK_SECRET")
        return WebhookChannel(
            WebhookConfig(url=url, secret=settings.webhook_secret.get_secret_value(), timeout=settings.webhook_timeout)
        )
    return MaildirChannel(settings.outbox_path, settings.mail_domain)


def notification_activities(settings: Settings) -> NotificationActivities:
    assessments = settings.assessment_channel or settings.notify_channel
    return NotificationActivities(
        channel(settings, settings.notify_channel),
        assessment_channel=channel(settings, assessments, settings.assessment_webhook_url),
        mail_domain=settings.mail_domain,
        role_addresses=settings.role_addresses,
        staff_language=settings.staff_language,
    )


def deployment(settings: Settings) -> WorkerDeploymentConfig | None:
    """Worker Versioning, when NRM_DEPLOYMENT_NAME and NRM_BUILD_ID are set (off on the embedded server): cases are
    pinned to the build that started them and move to a newer one when they continue as new. Pinned is the worker's
    default rather than `@workflow.defn(versioning_behavior=...)`: the server refuses a behaviour from a worker that
    is not versioned, and the embedded server runs unversioned workers."""
    if not (settings.deployment_name and settings.build_id):
        return None
    return WorkerDeploymentConfig(
        version=WorkerDeploymentVersion(settings.deployment_name, settings.build_id),
        use_worker_versioning=True,
        default_versioning_behavior=VersioningBehavior.PINNED,
    )


def delivery_activities(settings: Settings) -> list[Callable[..., Any]]:
    notifications = notification_activities(settings)
    return [notifications.send_alert, notifications.send_notice, notifications.request_assessment]


def cases_worker(client: Client, settings: Settings, *, with_delivery: bool = False) -> Worker:
    """The workflows and the digest's query on NRM_TASK_QUEUE; deliveries are scheduled on the delivery queue, which
    this worker serves too when `with_delivery` (both queues one: the SDK may then start a delivery eagerly)."""
    digest = DigestActivities(client)
    actors = ActorDirectoryFollower(settings)
    plugin = nrm_plugin(
        client.data_converter,
        directory=actors.current,
        activities=[digest.collect_due_obligations, *(delivery_activities(settings) if with_delivery else [])],
        run_context=actors.following,
        delivery_queue=settings.delivery_queue,
    )
    return Worker(
        client,
        task_queue=settings.task_queue,
        plugins=[plugin],
        deployment_config=deployment(settings),
        graceful_shutdown_timeout=SHUTDOWN_GRACE,  # on SIGTERM, running tasks get this long to finish
    )


def delivery_worker(client: Client, settings: Settings) -> Worker:
    """The notification activities on NRM_DELIVERY_TASK_QUEUE: only they need the channels' settings and secrets.
    No workflow runs here, so the worker needs no deployment version (versioning pins workflows, not activities)."""
    return Worker(
        client,
        task_queue=settings.delivery_queue,
        activities=delivery_activities(settings),
        graceful_shutdown_timeout=SHUTDOWN_GRACE,  # on SIGTERM, running deliveries get this long to finish
    )


class Workers:
    """The workers of a role, started and stopped together (`async with`); `ready()` says whether all poll."""

    def __init__(self, client: Client, workers: list[Worker]) -> None:
        self.client = client
        self.workers = workers
        self.stopping = False

    @property
    def task_queues(self) -> list[str]:
        return [w.task_queue for w in self.workers]

    async def __aenter__(self) -> Workers:
        self._stack = AsyncExitStack()
        try:
            for w in self.workers:
                await self._stack.enter_async_context(w)
        except BaseException:
            await self._stack.aclose()  # the ones already started stop again
            raise
        return self

    async def __aexit__(self, *exc: object) -> None:
        self.stopping = True
        await self._stack.aclose()

    async def ready(self) -> str | None:
        """None when every worker polls and the server answers; else why not."""
        if self.stopping:
            return "stopping"
        if not all(w.is_running for w in self.workers):
            return "worker not running"
        try:
            await self.client.service_client.check_health(timeout=HEALTH_CHECK_TIMEOUT)
        except Exception:
            return "Temporal does not answer"
        return None


def build_worker(client: Client, settings: Settings, role: Role = "all") -> Workers:
    """The role's workers on `client`'s connection, with the worker's own codec (plumbing.connection.data_converter)."""
    config = client.config()
    config["data_converter"] = data_converter(settings, worker=True)
    client = Client(**config)
    if role == "all" and settings.delivery_queue == settings.task_queue:  # one queue: one worker serves it
        return Workers(client, [cases_worker(client, settings, with_delivery=True)])
    workers = []
    if role in ("all", "cases"):
        workers.append(cases_worker(client, settings))
    if role in ("all", "delivery"):
        workers.append(delivery_worker(client, settings))
    return Workers(client, workers)


@asynccontextmanager
async def health_endpoint(settings: Settings, readiness: Readiness) -> AsyncIterator[None]:
    if settings.health_bind is None:
        yield
        return
    runner = await serve(health_app(readiness), settings.health_bind, "NRM_HEALTH_BIND")
    try:
        yield
    finally:
        await runner.cleanup()


async def run_worker(settings: Settings, client: Client | None = None, role: Role = "all") -> None:
    """Run until SIGTERM or SIGINT, then stop gracefully: readiness ends, polling ends, running tasks finish
    (Worker.shutdown). Refuses to start (Unavailable) on a namespace that does not exist or lacks one of nrmflow's
    search attributes, and (BindTaken) when its health or metrics address is taken."""
    runtime = metrics_runtime(settings) if client is None else None
    tracing = Tracing(settings)
    client = client or await connect(settings, runtime=runtime, interceptors=tracing.interceptors)
    await search_attributes.require(client)
    workers: Workers | None = None

    async def readiness() -> str | None:
        return "starting" if workers is None else await workers.ready()

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    gauge = None
    try:
        async with health_endpoint(settings, readiness):
            workers = build_worker(client, settings, role)
            if runtime is not None and role in ("all", "cases"):
                gauge = asyncio.create_task(OpenCasesGauge(client, runtime, settings).run())
            queues = ",".join(workers.task_queues)
            async with workers:
                log.info(
                    "worker started",
                    address=client.service_client.config.target_host,
                    namespace=client.namespace,
                    role=role,
                    task_queues=queues,
                )
                await stop.wait()
                log.info("worker stopping", task_queues=queues)  # not ready from here on (Workers.__aexit__)
            log.info("worker stopped", task_queues=queues)
    finally:
        if gauge is not None:
            gauge.cancel()
        tracing.shutdown()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.remove_signal_handler(sig)


def main() -> None:
    """`python worker.py [ROLE]`: like `nrm worker`, one `error:` line and exit 5 when Temporal cannot be used (2 when
    the settings, a secret file or an address cannot be)."""
    from plumbing.exit import ExitCode, leave

    settings = Settings()
    configure_logging(settings.log_format, settings.log_level)
    role = sys.argv[1] if len(sys.argv) > 1 else "all"
    if role not in ROLES:
        sys.stderr.write(f"error: unknown role {role[:40]!r}: one of {', '.join(ROLES)}\n")
        leave(ExitCode.BAD_INPUT)
    try:
        asyncio.run(run_worker(settings, role=role))
    except Unavailable as exc:
        sys.stderr.write(f"error: {exc}\n")
        leave(ExitCode.UNAVAILABLE)
    except (ConnectionConfigError, BindTaken, TracingUnavailable, PrivateFileError) as exc:
        sys.stderr.write(f"error: {exc}\n")
        leave(ExitCode.BAD_INPUT)
    leave(ExitCode.OK)


if __name__ == "__main__":
    main()
