"""`congvan trace DOCUMENT`: the chain guidance → instruction → requests → submissions → report."""

from __future__ import annotations

from typing import Any

import typer

from congvan.cli._common import console, user_errors


def register(app: typer.Typer) -> None:
    @app.command("trace")
    def trace(
        document: str = typer.Argument(..., help="Mã văn bản (#id) hoặc số, ký hiệu."),
    ) -> None:
        """Cho xem chuỗi văn bản: hướng dẫn → chỉ đạo → yêu cầu → báo cáo → gửi cấp trên."""
        from rich.tree import Tree

        from congvan.runtime import open_registry
        from registry import db
        from reporting.tracing import chain

        with user_errors():
            open_registry()
            with db.transaction() as s:
                root = chain(session=s, ref=document)
        tree = Tree(root["label"])

        def add(node: Tree, item: dict[str, Any]) -> None:
            for child in item.get("children", []):
                add(node.add(child["label"]), child)

        add(tree, root)
        console.print(tree)
