"""`python -m mewet` is the `mewet` command."""

from mewet.cli import main

main()
