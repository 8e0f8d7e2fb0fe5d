"""What twophase and its embedded AWS say to each other besides AWS's APIs.

`GET IDENTITY_PATH?nonce=N` answers `{"service": "twophase-local", "pid": P, "proof": H}` where H
is `identity_proof(token, N)`: a holder of the state file confirms that the endpoint is the server
it records without the server's token crossing the wire. Requests to moto's admin API carry the
token in ADMIN_HEADER. Imports nothing of twophase, and nothing at all until asked: the CLI loads
it on every `endpoint: local` command.
"""

from __future__ import annotations

IDENTITY_PATH = "/__twophase/identity"
ADMIN_HEADER = "X-Twophase-Admin-Token"
MAX_NONCE = 128
# A server's folder for extracted code: PREFIX + its pid + a random part (mkdtemp), in the private
# state folder; a server that was killed leaves it behind, and the next start removes it.
CODE_FOLDER_PREFIX = "local-code-"


def identity_proof(token: str, nonce: str) -> str:
    """What the server answers for `nonce`: only a holder of the token can compute it."""
    import hashlib
    import hmac

    return hmac.new(token.encode(), nonce.encode(), hashlib.sha256).hexdigest()
