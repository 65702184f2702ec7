"""Console-script entry point."""

from __future__ import annotations


def main() -> None:
    from transship.cli.app import app

    app()


if __name__ == "__main__":
    main()
