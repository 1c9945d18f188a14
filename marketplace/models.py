from django.contrib.auth.models import AbstractUser, UserManager
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class TimeStamped(models.Model):
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        abstract = True


class PersonManager(UserManager):
    """Users sign in by email; there is no separate username."""

    use_in_migrations = True

    def _create_user(self, email, password, **extra_fields):
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=self.normalize_email(email), **extra_fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email=None, password=None, **extra_fields):
        extra_fields.setdefault("is_staff", False)
        extra_fields.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra_fields)

    def create_superuser(self, email=None, password=None, **extra_fields):
        extra_fields.setdefault("is_staff", True)
        extra_fields.setdefault("is_superuser", True)
        return self._create_user(email, password, **extra_fields)


class User(AbstractUser):
    """A person. The same person can shop, work in several shops, ride for a couriers'
    collective and vote as a cooperative member: those roles are rows in the other apps."""

    username = None
    email = models.EmailField(_("email address"), unique=True)
    display_name = models.CharField(_("display name"), max_length=80, blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    objects = PersonManager()

    class Meta:
        verbose_name = _("person")
        verbose_name_plural = _("people")

    def __str__(self):
        return self.display_name or self.email

    def get_short_name(self):
        return self.display_name or self.email.split("@")[0]


class Postcode(models.Model):
    """A postcode area of the node with its centre, for "within N km of postcode"."""

    code = models.CharField(_("postcode"), max_length=12, unique=True)
    name = models.CharField(_("area name"), max_length=80, blank=True)
    latitude = models.FloatField(_("latitude"))
    longitude = models.FloatField(_("longitude"))

    class Meta:
        verbose_name = _("postcode")
        verbose_name_plural = _("postcodes")
        ordering = ["code"]

    def __str__(self):
        return f"{self.code} {self.name}".strip()


class OutboxMessage(models.Model):
    """A domain event on its way to one after-commit subscriber (the transactional outbox).

    Written in the business transaction, so it exists exactly when the change does; a relay
    hands it to Celery after commit and a periodic sweep retries whatever is still pending, so
    a broker outage delays the work and never loses it. Delivery takes a lease instead of
    marking the message done first: a worker killed mid-send leaves it pending, and it is
    retried once the lease has expired."""

    class State(models.TextChoices):
        PENDING = "pending", _("pending")
        DONE = "done", _("done")
        FAILED = "failed", _("failed")

    topic = models.CharField(_("topic"), max_length=80)
    handler = models.CharField(_("subscriber"), max_length=200)
    payload = models.JSONField(_("payload"), default=dict, encoder=DjangoJSONEncoder)
    state = models.CharField(
        _("state"), max_length=10, choices=State.choices, default=State.PENDING
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    # Not before this time: the first try right away, each retry after a growing pause.
    available_at = models.DateTimeField(_("due"), default=timezone.now)
    leased_until = models.DateTimeField(_("leased until"), null=True, blank=True)
    done_at = models.DateTimeField(_("done"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)

    class Meta:
        verbose_name = _("outbox message")
        verbose_name_plural = _("outbox messages")
        ordering = ["-pk"]
        indexes = [
            # The sweep's question: what is pending and due? Only pending rows are indexed.
            models.Index(
                fields=["available_at"],
                name="outbox_pending_due",
                condition=models.Q(state="pending"),
            ),
            models.Index(fields=["state", "topic"], name="outbox_state_topic"),
        ]

    def __str__(self):
        return f"#{self.pk} {self.topic} → {self.handler}"


class OutboxReceipt(models.Model):
    """One recipient was sent one message of one outbox message: a retried delivery skips
    whoever already has it, so each person gets each message once."""

    message = models.ForeignKey(OutboxMessage, on_delete=models.CASCADE, related_name="receipts")
    recipient = models.CharField(_("recipient"), max_length=254)
    sent_at = models.DateTimeField(_("sent"), default=timezone.now)

    class Meta:
        verbose_name = _("outbox receipt")
        verbose_name_plural = _("outbox receipts")
        constraints = [
            models.UniqueConstraint(
                fields=["message", "recipient"], name="outbox_receipt_once_per_recipient"
            )
        ]

    def __str__(self):
        return f"{self.message_id} → {self.recipient}"
