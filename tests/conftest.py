"""Shared fixtures."""

from pathlib import Path

import pytest

from sim.table import load_table

REAL_DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "real"


@pytest.fixture(scope="session")
def german():
    return load_table("german")


@pytest.fixture(scope="session")
def tornado():
    return load_table("tornado")
