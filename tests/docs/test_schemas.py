"""JSON Schemas of the spec and directory formats, and the minimal examples that follow them."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from typer.testing import CliRunner

from congvan.cli import app
from doc_templates.spec import load_spec
from registry.directory import parse_directory

ROOT = Path(__file__).resolve().parents[2]


def _schema(*command: str) -> dict[str, Any]:
    result = CliRunner().invoke(app, list(command))
    assert result.exit_code == 0, result.output
    data: dict[str, Any] = json.loads(result.output)
    jsonschema.Draft202012Validator.check_schema(data)
    return data


def _yaml(name: str) -> Any:
    # JSON has no date type: dates become ISO strings, as a JSON client would send them.
    data = yaml.safe_load((ROOT / "examples" / name).read_text(encoding="utf-8"))
    return json.loads(json.dumps(data, default=str))


class TestSchemas:
    def test_spec_example_follows_the_schema_and_parses(self) -> None:
        """examples/spec-minimal.yaml is valid for `congvan spec schema` and for load_spec."""
        jsonschema.validate(_yaml("spec-minimal.yaml"), _schema("spec", "schema"))
        assert load_spec(ROOT / "examples" / "spec-minimal.yaml").subject.startswith("V/v")

    def test_directory_example_follows_the_schema_and_parses(self) -> None:
        """examples/directory-minimal.yaml is valid for the schema and for the importer."""
        jsonschema.validate(_yaml("directory-minimal.yaml"), _schema("directory", "schema"))
        text = (ROOT / "examples" / "directory-minimal.yaml").read_text(encoding="utf-8")
        directory = parse_directory(text)
        assert [g.key for g in directory.groups] == ["cap-tren"]

    def test_full_kontum_directory_follows_the_schema(self) -> None:
        """The scenario's directory is valid for the schema too."""
        jsonschema.validate(_yaml("kontum-2022.yaml"), _schema("directory", "schema"))

    def test_schema_rejects_an_unknown_field(self) -> None:
        """A misspelt field is refused by the schema, as by the importer."""
        data = _yaml("directory-minimal.yaml")
        data["organizations"][0]["emial"] = "x@y.example"
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.validate(data, _schema("directory", "schema"))

    def test_schema_written_to_a_file(self, tmp_path: Path) -> None:
        """-o writes the same schema as a UTF-8 file."""
        out = tmp_path / "spec.schema.json"
        result = CliRunner().invoke(app, ["spec", "schema", "-o", str(out)])
        assert result.exit_code == 0
        assert json.loads(out.read_text(encoding="utf-8")) == _schema("spec", "schema")
