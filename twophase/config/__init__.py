"""twophase.yml: the one model every layer reads (`model`), its loader (`load`, which validates
with the input `schema` and the cross `checks`), and the cache phase two starts from (`cache`).
Import the submodule you need; this package imports nothing, so phase two never pays for pydantic
or YAML."""
