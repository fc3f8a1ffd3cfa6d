"""``python -m edgetf``: the same as the ``edgetf`` console script."""

from edgetf.cli.entry import main

main()
