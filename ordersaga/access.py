"""Customers and operators, told apart by the API key they present.

Keys come from settings as SHA-256 digests (`ORDERSAGA_API_KEYS`: {digest: "customer:<id>" or
"operator"}), never as the keys themselves; a presented key is hashed and compared with every
digest in constant time. Outside production, with no keys configured, the documented demo keys
(`DEMO_API_KEYS` in settings.py) work, so `ordersaga dev` runs out of the box; production
refuses to start without keys of its own, or with a demo key among them.

The API checks the key of every request (api/auth.py); the operator's subcommands check the
key in ORDERSAGA_API_KEY (`operator_key_holds`).
"""

import hmac
from dataclasses import dataclass
from typing import Literal

from ordersaga.settings import DEMO_API_KEYS, ApiSettings, key_digest


@dataclass(frozen=True)
class Principal:
    role: Literal["customer", "operator"]
    customer_id: str | None = None

    @property
    def is_operator(self) -> bool:
        return self.role == "operator"

    def may_see(self, customer_id: str | None) -> bool:
        """An operator sees every order; a customer only their own."""
        return self.is_operator or (customer_id is not None and customer_id == self.customer_id)


class Credentials:
    def __init__(self, digests: dict[str, str]) -> None:
        self._entries = [(digest.lower(), who) for digest, who in digests.items()]

    @classmethod
    def of(cls, settings: ApiSettings) -> "Credentials":
        if settings.api_keys:
            return cls(settings.api_keys)
        return cls({key_digest(key): who for key, who in DEMO_API_KEYS.items()})

    def principal(self, presented: str) -> Principal | None:
        digest, found = key_digest(presented), None
        for stored, who in self._entries:  # every entry, so the time does not tell which
            if hmac.compare_digest(stored, digest):
                found = who
        if found is None:
            return None
        role, _, customer = found.partition(":")
        return Principal("operator") if role == "operator" else Principal("customer", customer)


def operator_key_holds(presented: str | None, settings: ApiSettings) -> bool:
    """True if `presented` is an operator's key under these settings."""
    if not presented:
        return False
    found = Credentials.of(settings).principal(presented)
    return found is not None and found.is_operator
