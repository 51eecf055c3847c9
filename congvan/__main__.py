"""`python -m congvan` runs the CLI."""

from congvan.cli import main

main()
