"""``python -m etagere`` runs the CLI."""

from etagere.cli.main import main

main()
