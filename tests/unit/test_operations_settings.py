"""The worker's operations settings (README "Production"): HOST:PORT addresses and the delivery queue's default."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from plumbing.settings import Settings, split_bind


def test_an_address_is_host_and_port_ipv6_in_brackets() -> None:
    assert split_bind("127.0.0.1:8081") == ("127.0.0.1", 8081)
    assert split_bind("0.0.0.0:9464") == ("0.0.0.0", 9464)
    assert split_bind("[::1]:8081") == ("::1", 8081)
    for bad in ("8081", ":8081", "localhost:", "localhost:http", "localhost:0", "localhost:65536"):
        with pytest.raises(ValueError, match="HOST:PORT"):
            split_bind(bad)
    with pytest.raises(ValidationError, match="metrics_bind"):
        Settings(_env_file=None, metrics_bind="9464")


def test_the_delivery_queue_follows_the_case_queue_unless_set() -> None:
    assert Settings(_env_file=None, task_queue="nrm-a").delivery_queue == "nrm-a-delivery"
    assert Settings(_env_file=None, task_queue="nrm-a", delivery_task_queue="mail").delivery_queue == "mail"
