"""Scanner adapters: one module per tool, the contract in `base.py`, processes in `runner.py`."""
