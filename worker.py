"""The nrmflow worker: the case workflows and their activities (one plugin, workflows.plugin) on one task queue.

`python worker.py` and `nrm worker` run it against the namespace of the Temporal connection settings (TEMPORAL_ADDRESS,
TEMPORAL_NAMESPACE, a `temporal.toml` profile: plumbing.connection); `nrm up` runs it beside the embedded dev server.
"""

from __future__ import annotations

import asyncio
import signal
import sys
from datetime import timedelta

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
from plumbing.logs import configure_logging
from plumbing.settings import Settings
from workflows.plugin import nrm_plugin

log = structlog.get_logger(__name__)

SHUTDOWN_GRACE = timedelta(seconds=10)


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


def build_worker(client: Client, settings: Settings) -> Worker:
    """The worker on `client`'s connection, with the worker's own codec (plumbing.connection.data_converter)."""
    config = client.config()
    config["data_converter"] = data_converter(settings, worker=True)
    client = Client(**config)
    notifications = notification_activities(settings)
    digest = DigestActivities(client)
    actors = ActorDirectoryFollower(settings)
    plugin = nrm_plugin(
        client.data_converter,
        directory=actors.current,
        activities=[
            notifications.send_alert,
            notifications.send_notice,
            notifications.request_assessment,
            digest.collect_due_obligations,
        ],
        run_context=actors.following,
    )
    return Worker(
        client,
        task_queue=settings.task_queue,
        plugins=[plugin],
        deployment_config=deployment(settings),
        graceful_shutdown_timeout=SHUTDOWN_GRACE,  # on SIGTERM, running deliveries get this long to finish
    )


async def run_worker(settings: Settings, client: Client | None = None) -> None:
    """Run until SIGTERM or SIGINT, then stop gracefully: polling ends, running tasks finish (Worker.shutdown).
    Refuses to start (Unavailable) on a namespace that does not exist or lacks one of nrmflow's search attributes."""
    client = client or await connect(settings)
    await search_attributes.require(client)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    try:
        async with build_worker(client, settings):
            log.info(
                "worker started",
                address=client.service_client.config.target_host,
                namespace=client.namespace,
                task_queue=settings.task_queue,
            )
            await stop.wait()
            log.info("worker stopping", task_queue=settings.task_queue)
    finally:
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.remove_signal_handler(sig)
    log.info("worker stopped", task_queue=settings.task_queue)


def main() -> None:
    """`python worker.py`: like `nrm worker`, one `error:` line and exit 5 when Temporal cannot be used (2 when the
    connection settings cannot be)."""
    from plumbing.exit import ExitCode, leave

    settings = Settings()
    configure_logging(settings.log_format, settings.log_level)
    try:
        asyncio.run(run_worker(settings))
    except Unavailable as exc:
        sys.stderr.write(f"error: {exc}\n")
        leave(ExitCode.UNAVAILABLE)
    except ConnectionConfigError as exc:
        sys.stderr.write(f"error: {exc}\n")
        leave(ExitCode.BAD_INPUT)
    leave(ExitCode.OK)


if __name__ == "__main__":
    main()
