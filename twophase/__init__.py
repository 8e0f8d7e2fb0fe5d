"""twophase: two-phase deploys for AWS Lambda."""

__version__ = "0.1.0"
