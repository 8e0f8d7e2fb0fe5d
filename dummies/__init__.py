"""Dummy function bodies, one per runtime family (installed as `twophase.dummies.sources`).

The files beside this one are data: `twophase.dummies` reads them and builds the artifacts.
"""
