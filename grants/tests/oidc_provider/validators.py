from oauth2_provider.oauth2_validators import OAuth2Validator


class SpidLikeValidator(OAuth2Validator):
    """The claims a SPID/CIE broker gives: e-mail (verified) and, for a SPID-like username, the fiscal number."""

    oidc_claim_scope = {**OAuth2Validator.oidc_claim_scope, "fiscal_number": "profile"}

    def get_additional_claims(self, request):
        user = request.user
        claims = {"email": user.email, "email_verified": True}
        if user.username.startswith("TINIT-"):
            claims["fiscal_number"] = user.username
        return claims
