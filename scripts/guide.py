"""Run the commands of docs/guide.md and check (or rewrite) the output printed under each.

Every ```console block of the guide holds commands (lines starting with ``$ ``)
followed by their output. The commands run in order, through bash, from the
repository root, in one fresh CONGVAN_HOME, with the venv's ``congvan`` first on
PATH, as CONGVAN_HOME=var/guide (emptied before and after). What varies from run
to run — times, dates, SHA-256 digests, migration names — is masked, and runs of
blanks and line breaks (Rich wraps long lines) count as one space. Each line the
guide shows must be printed, in order; a line the guide does not show is allowed.

    python scripts/guide.py            # check; exit 1 and show the first difference
    python scripts/guide.py --update   # rewrite the outputs in docs/guide.md
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
GUIDE = ROOT / "docs" / "guide.md"
HOME = "var/guide"  # how the guide names CONGVAN_HOME
ENV = {  # the guide's "export" block says the same
    "CONGVAN_KEY_PASSWORD": "mat-khau-thu",
    "CONGVAN_SECRET_KEY": "khoa-bi-mat-cua-huong-dan-0123456789",
    "COLUMNS": "200",  # wide enough that no line wraps, wherever the repository lies
    "TERM": "dumb",
    "NO_COLOR": "1",
}
_BLOCK = re.compile(r"```console\n(.*?)```", re.DOTALL)
_MASKS = (
    (re.compile(r"\b[0-9a-f]{64}\b"), "<sha256>"),
    (re.compile(r"-[0-9a-f]{12}\.(pdf|docx)\b"), r"-<sha12>.\1"),
    (re.compile(r"\b\d{2}:\d{2}(:\d{2})?\b"), "hh:mm"),
    (re.compile(r"\b\d{2}/\d{2}/\d{4}\b"), "dd/mm/yyyy"),
    (re.compile(r"\bnăm \d{4}\b"), "năm yyyy"),
    (re.compile(r"\b\d{4}-\d{2}-\d{2}\b"), "yyyy-mm-dd"),
    (re.compile(r"Xong trong \d+ s"), "Xong trong n s"),
    (re.compile(r"\b\d{4}_[a-z][a-z0-9_]*\b"), "<migration>"),
)


@dataclass
class Step:
    """One command of the guide and the output printed under it."""

    command: str
    expected: list[str]


def steps(text: str) -> list[list[Step]]:
    """The guide's console blocks, each a list of steps."""
    blocks = []
    for match in _BLOCK.finditer(text):
        block: list[Step] = []
        for line in match.group(1).splitlines():
            if line.startswith("$ "):
                block.append(Step(line[2:], []))
            elif block:
                block[-1].expected.append(line)
        blocks.append(block)
    return blocks


def printed(output: str) -> list[str]:
    """The output as the guide prints it: lines without trailing blanks or edge empty lines."""
    lines = [line.rstrip() for line in output.splitlines()]
    while lines and not lines[0]:
        lines.pop(0)
    while lines and not lines[-1]:
        lines.pop()
    return lines


def normalise(lines: list[str]) -> str:
    """What is compared: the words, without what varies between runs."""
    text = " ".join(" ".join(lines).split())
    for pattern, mask in _MASKS:
        text = pattern.sub(mask, text)
    return text


def run(command: str) -> str:
    """One command's output (stdout then stderr), run as the guide shows it."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("CONGVAN_", "PREFECT_")) and k not in ("FORCE_COLOR",)}
    env.update(ENV, CONGVAN_HOME=HOME,
               PATH=f"{ROOT / '.venv' / 'bin'}{os.pathsep}{env.get('PATH', '')}")
    done = subprocess.run(["bash", "-c", command], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=600, check=False)
    # CONGVAN_HOME may be printed resolved (absolute): the guide names it var/guide.
    out = (done.stdout + done.stderr).replace(str(ROOT / HOME), HOME)
    if done.returncode != 0:
        out += f"\n(mã thoát {done.returncode})"
    return out


def check(update: bool = False) -> list[str]:
    """Run every step; return the differences (or rewrite the guide when ``update``)."""
    text = GUIDE.read_text(encoding="utf-8")
    problems: list[str] = []
    outputs: list[list[list[str]]] = []
    home = ROOT / HOME
    shutil.rmtree(home, ignore_errors=True)
    try:
        for block in steps(text):
            got_block = []
            for step in block:
                got = printed(run(step.command))
                got_block.append(got)
                lost = None if update else missing(step.expected, got)
                if lost is not None:
                    problems.append(f"$ {step.command}\n  hướng dẫn in: «{lost}»\n"
                                    f"  chạy thật in:\n" + "\n".join(got))
            outputs.append(got_block)
    finally:
        shutil.rmtree(home, ignore_errors=True)
    if update:
        GUIDE.write_text(_rewrite(text, outputs), encoding="utf-8")
    return problems


def missing(want: list[str], got: list[str]) -> str | None:
    """The first line the guide shows that the real output does not print (in order), if any.

    Lines the run prints beyond the guide's (a new warning) are tolerated; Rich may wrap a
    line differently, so each line is looked for in the whole output, words only.
    """
    text, position = normalise(got), 0
    for line in want:
        wanted = normalise([line])
        if not wanted:
            continue
        found = text.find(wanted, position)
        if found < 0:
            return wanted
        position = found + len(wanted)
    return None


def _rewrite(text: str, outputs: list[list[list[str]]]) -> str:
    blocks = iter(outputs)

    def replace(match: re.Match[str]) -> str:
        got = next(blocks)
        commands = [line[2:] for line in match.group(1).splitlines() if line.startswith("$ ")]
        body = "".join(f"$ {c}\n" + "".join(f"{line}\n" for line in out)
                       for c, out in zip(commands, got, strict=True))
        return f"```console\n{body}```"

    return _BLOCK.sub(replace, text)


def main() -> int:
    update = "--update" in sys.argv[1:]
    problems = check(update=update)
    for problem in problems:
        print(problem)
    if update:
        print(f"Đã ghi {GUIDE.relative_to(ROOT)}")
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
