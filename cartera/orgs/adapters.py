from allauth.account.adapter import DefaultAccountAdapter

from cartera.lib.clients import client_ip


class AccountAdapter(DefaultAccountAdapter):
    """Users are created by an owner or on the onboarding page, never by open sign-up."""

    def is_open_for_signup(self, request):
        return False

    def get_client_ip(self, request) -> str:
        """allauth's login rate limits key on the same address as every other lock-out."""
        return client_ip(request)
