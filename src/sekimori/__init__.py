"""sekimori (関守): a self-hosted safety gateway and red-team lab for language models."""

__version__ = "0.1.0"
