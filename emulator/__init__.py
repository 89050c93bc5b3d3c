"""sagemaker-emulator: a local server that answers Amazon SageMaker's model APIs as AWS does."""

__version__ = "0.1.0"
