"""What each kind of SageMaker resource is: one declaration per kind (emulator/resources/kind.py). The kinds served
are registered in emulator/operations/__init__.py (KINDS)."""
