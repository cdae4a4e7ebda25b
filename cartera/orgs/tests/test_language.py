from django.utils import translation
from django.utils.translation import gettext

from cartera.orgs.language import in_organization_language, organization_language


@in_organization_language
def _speak(organization_id):
    return gettext("Clientes")


def test_background_work_speaks_the_organisations_language(org_a, org_b):
    org_b.language = "en"
    org_b.save(update_fields=["language"])
    with translation.override("es-mx"):
        assert (_speak(org_a.pk), _speak(org_b.pk)) == ("Clientes", "Customers")
        assert translation.get_language() == "es-mx"  # restored afterwards
    assert organization_language(999_999) == "es-mx"  # unknown org: the default
