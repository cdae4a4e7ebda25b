from allauth.account.adapter import DefaultAccountAdapter
from allauth.mfa.adapter import DefaultMFAAdapter

from cartera.lib import secrets
from cartera.lib.clients import client_ip


class AccountAdapter(DefaultAccountAdapter):
    """Users are created by an owner or on the onboarding page, never by open sign-up."""

    def is_open_for_signup(self, request):
        return False

    def get_client_ip(self, request) -> str:
        """allauth's login rate limits key on the same address as every other lock-out."""
        return client_ip(request)


class MFAAdapter(DefaultMFAAdapter):
    """Authenticator secrets and recovery seeds are stored encrypted like every other secret."""

    def encrypt(self, text: str) -> str:
        return secrets.encrypt(text)

    def decrypt(self, encrypted_text: str) -> str:
        return secrets.decrypt(encrypted_text)
