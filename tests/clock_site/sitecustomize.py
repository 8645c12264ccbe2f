"""Moves the clock of every Python process a test starts, as ``pytest --clock`` moved its own.

``tests/conftest.py`` puts this folder on ``PYTHONPATH`` and sets ``TESTS_CLOCK_OFFSET``
(seconds between the chosen instant and the real clock when the run began), so a ``waterbill``
command or a ``serve --workers`` process started by a test reads the same, still ticking, "now".
"""

import os

_offset = os.environ.get("TESTS_CLOCK_OFFSET")
if _offset:
    import time

    import time_machine

    time_machine.travel(time.time() + float(_offset), tick=True).start()
