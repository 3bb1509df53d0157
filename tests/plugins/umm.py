"""UMM-C / UMM-G JSON-schema validators built from the real schemas in ``../shared/fixtures``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from jsonschema import Draft7Validator
from referencing import Registry, Resource

SCHEMAS = Path("umm") / "schemas"


def _load(fixtures_dir: Path, name: str) -> dict:
    return json.loads((fixtures_dir / SCHEMAS / name).read_text())


@pytest.fixture(scope="session")
def umm_c_validator(fixtures_dir: Path) -> Draft7Validator:
    """UMM-C 1.18.6 (Draft 7) with UMM-CMN 1.18.6 registered under the name its $refs use."""
    schema = _load(fixtures_dir, "umm-c-json-schema_v1.18.6.json")
    common = Resource.from_contents(_load(fixtures_dir, "umm-cmn-json-schema_v1.18.6.json"))
    registry = Registry().with_resource("umm-cmn-json-schema.json", common)
    Draft7Validator.check_schema(schema)
    return Draft7Validator(schema, registry=registry, format_checker=Draft7Validator.FORMAT_CHECKER)


@pytest.fixture(scope="session")
def umm_g_validator(fixtures_dir: Path) -> Draft7Validator:
    """UMM-G 1.6.7 (Draft 7) with format checking."""
    schema = _load(fixtures_dir, "umm-g-json-schema_v1.6.7.json")
    Draft7Validator.check_schema(schema)
    return Draft7Validator(schema, format_checker=Draft7Validator.FORMAT_CHECKER)


def schema_errors(validator: Draft7Validator, record: dict) -> list[str]:
    """Every schema violation of ``record``, as ``path: message`` lines."""
    return sorted(
        f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(record)
    )


def assert_valid(validator: Draft7Validator, record: dict) -> None:
    """Fail the test with all violations listed when ``record`` does not validate."""
    errors = schema_errors(validator, record)
    assert not errors, "record does not validate:\n" + "\n".join(errors)
