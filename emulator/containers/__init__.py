"""A model's container run as a local process: the operator's command per image (commands.py).

Below every layer: commands.py imports nothing of the emulator, so the settings may check a table with it."""
