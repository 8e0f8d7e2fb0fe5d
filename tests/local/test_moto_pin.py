"""The embedded AWS patches moto internals; its extensions are verified against one release."""

from __future__ import annotations

import moto

VERIFIED_MOTO = "5.2.5"


def test_moto_is_the_release_the_extensions_were_verified_against() -> None:
    assert moto.__version__ == VERIFIED_MOTO, (
        f"moto {moto.__version__} is installed but twophase's embedded-AWS extensions "
        f"(twophase/local/extensions) were verified against moto {VERIFIED_MOTO}; "
        "re-verify them by running `pytest tests/local` with the new release, fix what fails, "
        "then update VERIFIED_MOTO here and the moto pin in pyproject.toml"
    )
