"""The embedded local AWS: moto in server mode, with extensions for the AWS behaviour twophase needs."""
