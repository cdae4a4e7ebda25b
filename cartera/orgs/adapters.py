from allauth.account.adapter import DefaultAccountAdapter


class AccountAdapter(DefaultAccountAdapter):
    """Users are created by an owner or on the onboarding page, never by open sign-up."""

    def is_open_for_signup(self, request):
        return False
