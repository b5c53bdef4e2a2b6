"""What several test folders share (``tests`` is on ``pythonpath``: ``from support.entities import ...``)."""
