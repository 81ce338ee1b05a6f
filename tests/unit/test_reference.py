"""Case references: random, pseudonymous, in one unambiguous format."""

from __future__ import annotations

import re

import pytest

from domain.errors import InvalidRequest
from domain.reference import check_reference, new_reference, workflow_id

FORMAT = re.compile(r"^NRM-[0-9A-Z]{4}-[0-9A-Z]{4}$")


def test_new_references_have_the_format_and_no_misreadable_letters() -> None:
    refs = {new_reference() for _ in range(200)}
    assert len(refs) == 200
    for ref in refs:
        assert FORMAT.match(ref) and check_reference(ref) == ref
        assert not set(ref[4:]) & set("ILOU")


def test_check_reference_normalizes_case_and_spaces() -> None:
    assert check_reference("  nrm-7k3q-9zx2 ") == "NRM-7K3Q-9ZX2"


@pytest.mark.parametrize(
    "text", ["", "NRM-7K3Q", "NRM-7K3Q-9ZX", "NRM-7K3Q-9ZX2X", "XYZ-7K3Q-9ZX2", "NRM-7K3Q-9ZXI", "case-NRM-7K3Q-9ZX2"]
)
def test_check_reference_refuses_anything_else(text: str) -> None:
    with pytest.raises(InvalidRequest) as caught:
        check_reference(text)
    assert str(caught.value) == f"{text!r} is not a case reference (expected the form NRM-XXXX-XXXX)"


def test_the_workflow_id_holds_only_the_reference() -> None:
    assert workflow_id("NRM-7K3Q-9ZX2") == "case-NRM-7K3Q-9ZX2"
