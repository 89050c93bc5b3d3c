"""The admin API under /_emulator: the guard in front of it (guard.py) and its FastAPI routes (routes.py), one
router per concern. This package's own import pulls in nothing: a server answers AWS requests before FastAPI loads."""
