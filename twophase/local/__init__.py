"""The embedded local AWS: moto in server mode, extended where twophase needs real AWS behaviour."""
