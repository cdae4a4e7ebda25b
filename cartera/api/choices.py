from django.db import models
from django.utils.translation import gettext_lazy as _


class TokenScope(models.TextChoices):
    READ = "read", _("Solo lectura")
    WRITE = "write", _("Lectura y escritura")
