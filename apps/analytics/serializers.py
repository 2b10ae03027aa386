"""The documented shapes of the analytics API's answers (apps/analytics/api.py): the
selectors build them as dicts; these serializers describe them in the OpenAPI schema."""

from rest_framework import serializers

RATE_HELP = "Percent of the previous step (null when the previous step is 0)."


def _rate(help_text: str = RATE_HELP) -> serializers.FloatField:
    return serializers.FloatField(allow_null=True, help_text=help_text)


class StepsSerializer(serializers.Serializer):
    """Lead → contacted → booked → won, with each step's rate and drop-off."""

    created = serializers.IntegerField(help_text="Leads created in the period.")
    contacted = serializers.IntegerField()
    booked = serializers.IntegerField()
    won = serializers.IntegerField()
    contacted_rate = _rate()
    contacted_dropoff = serializers.IntegerField()
    booked_rate = _rate()
    booked_dropoff = serializers.IntegerField()
    won_rate = _rate()
    won_dropoff = serializers.IntegerField()
    conversion = _rate("Booked per created, percent (null without leads).")


class ChannelStepsSerializer(StepsSerializer):
    source = serializers.CharField(help_text="widget, webchat, telegram, whatsapp, sms, …")
    label = serializers.CharField()


class ListStepsSerializer(StepsSerializer):
    list_id = serializers.IntegerField(allow_null=True, help_text="null: leads in no list.")
    label = serializers.CharField(allow_null=True)


class OperatorStepsSerializer(StepsSerializer):
    user_id = serializers.IntegerField()
    label = serializers.CharField(help_text="The member's e-mail.")
    median_seconds = serializers.IntegerField(
        allow_null=True, help_text="Median time to first contact of the member's leads."
    )


class CohortStepsSerializer(StepsSerializer):
    week = serializers.CharField(help_text='ISO week of creation, "2026-W49".')
    source = serializers.CharField()
    label = serializers.CharField()


class WindowSerializer(serializers.Serializer):
    # `from` is a Python keyword: declared through the class namespace
    vars()["from"] = serializers.DateField(help_text="First day.")
    to = serializers.DateField(help_text="Last day, inclusive.")
    time_zone = serializers.CharField(help_text="The company's time zone (days are local).")


class PeriodSerializer(serializers.Serializer):
    key = serializers.ChoiceField(choices=["today", "7d", "30d", "90d", "custom"])
    vars()["from"] = serializers.DateField()
    to = serializers.DateField()
    previous_from = serializers.DateField()
    previous_to = serializers.DateField()


class CardSerializer(serializers.Serializer):
    key = serializers.ChoiceField(
        choices=[
            "leads",
            "conversion",
            "meetings",
            "ttfc_median",
            "ttfc_p90",
            "unanswered",
            "usage",
        ]
    )
    value = serializers.FloatField(allow_null=True, help_text="null: nothing to measure yet.")
    previous = serializers.FloatField(allow_null=True, help_text="The previous period's value.")
    delta = serializers.FloatField(
        allow_null=True, help_text="Change against the previous period, percent."
    )
    unit = serializers.ChoiceField(choices=["count", "percent", "seconds"])
    lower_is_better = serializers.BooleanField()
    sparkline = serializers.ListField(
        child=serializers.FloatField(), help_text="One value per day of the period."
    )
    period_value = serializers.IntegerField(
        required=False, help_text="unanswered: the period's leads still unanswered."
    )
    limit = serializers.IntegerField(
        required=False, allow_null=True, help_text="usage: the plan's quota (null: unlimited)."
    )
    percent = serializers.FloatField(
        required=False, allow_null=True, help_text="usage: share of the quota used."
    )


class DashboardSerializer(serializers.Serializer):
    period = PeriodSerializer()
    time_zone = serializers.CharField()
    cards = CardSerializer(many=True)
    days = serializers.ListField(child=serializers.DateField())


class ChannelsSerializer(WindowSerializer):
    channels = ChannelStepsSerializer(many=True)


class HistogramBucketSerializer(serializers.Serializer):
    from_seconds = serializers.IntegerField()
    to_seconds = serializers.IntegerField(allow_null=True, help_text="null: open-ended.")
    count = serializers.IntegerField()


class TimeToFirstContactSerializer(serializers.Serializer):
    median_seconds = serializers.IntegerField(allow_null=True)
    p90_seconds = serializers.IntegerField(allow_null=True)
    count = serializers.IntegerField(help_text="Leads of the period contacted.")
    histogram = HistogramBucketSerializer(many=True)


class FunnelSerializer(WindowSerializer):
    total = StepsSerializer()
    by_channel = ChannelStepsSerializer(many=True)
    by_list = ListStepsSerializer(many=True)
    time_to_first_contact = TimeToFirstContactSerializer()


class OperatorsSerializer(WindowSerializer):
    operators = OperatorStepsSerializer(many=True)


class CohortsSerializer(WindowSerializer):
    cohorts = CohortStepsSerializer(many=True)
