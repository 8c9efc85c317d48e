from django.db import models

from communs.domain.hashchain import GENESIS


class EventStream(models.Model):
    """The head of one hash chain. Appends lock this row, so each chain stays linear."""

    name = models.CharField(max_length=80, primary_key=True)
    length = models.PositiveBigIntegerField(default=0)
    head_hash = models.CharField(max_length=64, default=GENESIS)

    def __str__(self) -> str:
        return f"{self.name} ({self.length})"


class Event(models.Model):
    """One entry of the public log. Everything shown of an event comes from its hashed body."""

    stream = models.ForeignKey(
        EventStream, on_delete=models.PROTECT, db_column="stream", related_name="events"
    )
    seq = models.PositiveBigIntegerField()
    body = models.JSONField()
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["stream", "seq"], name="event_stream_seq_unique"),
        ]
        indexes = [models.Index(fields=["stream", "-id"], name="event_stream_recent")]

    def __str__(self) -> str:
        return f"{self.stream_id}#{self.seq}"

    @property
    def kind(self) -> str:
        return str(self.body.get("kind", ""))

    @property
    def actor(self) -> str:
        return str(self.body.get("actor", ""))

    @property
    def at(self) -> str:
        return str(self.body.get("at", ""))

    @property
    def data(self) -> dict[str, object]:
        data = self.body.get("data", {})
        return data if isinstance(data, dict) else {}
