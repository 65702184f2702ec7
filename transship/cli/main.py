"""Entry point placeholder; replaced by the full CLI."""
def main() -> None:
    from transship.cli.app import app
    app()
