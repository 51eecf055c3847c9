"""`congvan directory`: import and export the organisation directory, and its JSON Schema."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from congvan.cli._common import console, user_errors


def import_(file: Annotated[Path, typer.Argument(exists=True, dir_okay=False,
                                                 help="Tệp YAML danh bạ")]) -> None:
    """Nhập danh bạ (chạy lại nhiều lần vẫn cho cùng kết quả; tệp lỗi thì không lưu gì)."""
    from congvan.runtime import open_registry
    from registry import db, directory

    with user_errors():
        open_registry()
        with db.transaction() as session:
            report = directory.import_file(session=session, path=file)
    console.print(
        f"Cơ quan, đơn vị: {report.organizations_created} mới, "
        f"{report.organizations_updated} cập nhật; cán bộ: {report.people_created} mới, "
        f"{report.people_updated} cập nhật; nhóm nơi nhận: {report.groups_created} mới, "
        f"{report.groups_updated} cập nhật; sổ văn bản mới: {report.registers_created}."
    )


def export(out: Annotated[Path | None, typer.Option(
        "-o", "--out", help="Tệp ghi ra (mặc định: màn hình)")] = None) -> None:
    """Xuất danh bạ ra YAML theo đúng định dạng nhập."""
    from congvan.runtime import open_registry
    from registry import db, directory

    with user_errors():
        open_registry()
        with db.transaction() as session:
            text = directory.export_directory(session=session)
    if out is None:
        typer.echo(text, nl=False)
    else:
        out.write_text(text, encoding="utf-8")
        console.print(f"Đã ghi {out}")


def schema(out: Annotated[Path | None, typer.Option(
        "-o", "--out", help="Tệp ghi ra (mặc định: màn hình)")] = None) -> None:
    """In JSON Schema của tệp danh bạ (ví dụ tối thiểu: examples/directory-minimal.yaml)."""
    from congvan.cli.spec import write_schema
    from registry.directory import json_schema

    write_schema(json_schema(), out)


def register(app: typer.Typer) -> None:
    dir_app = typer.Typer(help="Danh bạ cơ quan, đơn vị, cán bộ và nhóm nơi nhận.",
                          no_args_is_help=True)
    dir_app.command("import")(import_)
    dir_app.command("export")(export)
    dir_app.command("schema")(schema)
    app.add_typer(dir_app, name="directory")
