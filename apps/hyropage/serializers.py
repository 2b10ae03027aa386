"""HyroPage API serializers (drf-spectacular describes them; the pydantic schema in schema.py
is checked again by the service)."""

from rest_framework import serializers

from apps.core.api import StrictFieldsMixin
from apps.hyropage.models import GenerationStatus, Language, PageStatus, Tone
from apps.hyropage.schema import HEADLINE_MAX, META_MAX, SUBHEADLINE_MAX, TITLE_MAX


class _Strict(StrictFieldsMixin, serializers.Serializer):
    pass


class ValuePointSerializer(_Strict):
    title = serializers.CharField(max_length=80)
    text = serializers.CharField(max_length=300)


class SocialProofSerializer(_Strict):
    quote = serializers.CharField(max_length=300)
    author = serializers.CharField(max_length=100)
    placeholder = serializers.BooleanField(
        help_text="True until it is a real customer's testimonial: shown as an example."
    )


class FaqItemSerializer(_Strict):
    question = serializers.CharField(max_length=150)
    answer = serializers.CharField(max_length=600)


class CallToActionSerializer(_Strict):
    text = serializers.CharField(max_length=40)
    note = serializers.CharField(max_length=160, allow_blank=True)


class ContentSerializer(_Strict):
    title = serializers.CharField(max_length=TITLE_MAX)
    meta_description = serializers.CharField(max_length=META_MAX)
    headline = serializers.CharField(max_length=HEADLINE_MAX)
    subheadline = serializers.CharField(max_length=SUBHEADLINE_MAX)
    value_points = ValuePointSerializer(many=True, min_length=3, max_length=6)
    social_proof = SocialProofSerializer(many=True, min_length=1, max_length=3)
    faq = FaqItemSerializer(many=True, min_length=2, max_length=8)
    call_to_action = CallToActionSerializer()


class GenerationSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    status = serializers.ChoiceField(choices=GenerationStatus.choices)
    model_requested = serializers.CharField()
    model_used = serializers.CharField(help_text="The model that answered (after fallbacks).")
    offline = serializers.BooleanField(help_text="Made by the template generator (no AI key).")
    error_code = serializers.CharField()
    created_at = serializers.DateTimeField()


class PageSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    slug = serializers.CharField()
    status = serializers.ChoiceField(choices=PageStatus.choices)
    product = serializers.CharField()
    audience = serializers.CharField()
    tone = serializers.ChoiceField(choices=Tone.choices)
    language = serializers.ChoiceField(choices=Language.choices)
    booking_url = serializers.CharField()
    lead_id = serializers.IntegerField(allow_null=True, help_text="Set on a personal page.")
    version = serializers.IntegerField()
    public_url = serializers.CharField(help_text="Live only while the page is published.")
    views = serializers.IntegerField()
    conversions = serializers.IntegerField(help_text="Leads left through the page's widget.")
    published_at = serializers.DateTimeField(allow_null=True)
    created_at = serializers.DateTimeField()


class PageDetailSerializer(PageSerializer):
    content = ContentSerializer(allow_null=True, help_text="Empty until the first generation.")
    generation = GenerationSerializer(allow_null=True, help_text="The latest generation.")


class PageCreateSerializer(_Strict):
    product = serializers.CharField(max_length=300)
    audience = serializers.CharField(max_length=300)
    tone = serializers.ChoiceField(choices=Tone.choices, default=Tone.FRIENDLY)
    language = serializers.ChoiceField(choices=Language.choices, default=Language.RU)
    booking_url = serializers.URLField(max_length=500, required=False, default="", allow_blank=True)
    details = serializers.CharField(max_length=2000, required=False, default="", allow_blank=True)
    slug = serializers.SlugField(max_length=80, required=False, default="", allow_blank=True)
    lead_id = serializers.IntegerField(
        required=False,
        allow_null=True,
        default=None,
        min_value=1,
        help_text="A personal page for this lead: unguessable address, never indexed.",
    )


class PageUpdateSerializer(_Strict):
    content = ContentSerializer()
    version = serializers.IntegerField(
        min_value=0, required=False, help_text="The version you edited: a stale one answers 409."
    )


class PublishSerializer(_Strict):
    published = serializers.BooleanField()
