"""The ``overseer`` command line."""

def main() -> None:
    from overseer.cli.app import run

    run()
