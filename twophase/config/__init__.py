"""twophase.yml: the validated model (`model`), its loader (`load`), and the compiled view phase two
reads (`compiled`). Import the submodule you need; this package imports nothing, so phase two never
pays for pydantic or YAML."""
