"""`congvan spec schema`: the JSON Schema of a document spec (the YAML that `render` and
`draft new --spec` read)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from congvan.cli._common import console


def schema(out: Annotated[Path | None, typer.Option(
        "-o", "--out", help="Tệp ghi ra (mặc định: màn hình)")] = None) -> None:
    """In JSON Schema của tệp spec văn bản (ví dụ tối thiểu: examples/spec-minimal.yaml)."""
    from doc_templates.spec import json_schema

    write_schema(json_schema(), out)


def write_schema(data: dict[str, object], out: Path | None) -> None:
    """Print a schema, or write it to ``out`` (UTF-8, Vietnamese kept)."""
    text = json.dumps(data, ensure_ascii=False, indent=2) + "\n"
    if out is None:
        typer.echo(text, nl=False)
    else:
        out.write_text(text, encoding="utf-8")
        console.print(f"Đã ghi {out}")


def register(app: typer.Typer) -> None:
    spec_app = typer.Typer(help="Định dạng tệp spec văn bản.", no_args_is_help=True)
    spec_app.command("schema")(schema)
    app.add_typer(spec_app, name="spec")
