"""``python -m edgetf``: the same as the ``edgetf`` console script."""

from edgetf._entry import main

main()
