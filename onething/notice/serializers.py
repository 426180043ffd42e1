"""API shapes of the catalogue and the notice (documented in the OpenAPI schema)."""

from rest_framework import serializers


class RangeSerializer(serializers.Serializer):
    min = serializers.IntegerField()
    max = serializers.IntegerField()


class ReductionRangeSerializer(serializers.Serializer):
    separate = RangeSerializer()
    bundle = RangeSerializer()


class ReductionsOverviewSerializer(serializers.Serializer):
    steps = ReductionRangeSerializer()
    time = ReductionRangeSerializer()
    materials = ReductionRangeSerializer()
    trips = ReductionRangeSerializer()


class FigurePairSerializer(serializers.Serializer):
    separate = serializers.IntegerField(help_text="items done one by one")
    bundle = serializers.IntegerField(help_text="the same items as one bundle")


class ReductionsSerializer(serializers.Serializer):
    steps = FigurePairSerializer()
    time = FigurePairSerializer(help_text="working days")
    materials = FigurePairSerializer()
    trips = FigurePairSerializer()


class OptionSerializer(serializers.Serializer):
    value = serializers.CharField()
    label = serializers.CharField()
    label_en = serializers.CharField(allow_blank=True)


class QuestionSerializer(serializers.Serializer):
    key = serializers.CharField()
    text = serializers.CharField()
    text_en = serializers.CharField(allow_blank=True)
    kind = serializers.ChoiceField(choices=["single", "multiple", "yes_no"])
    options = OptionSerializer(many=True)
    help_text = serializers.CharField(allow_blank=True)


class LocationSerializer(serializers.Serializer):
    name = serializers.CharField()
    name_en = serializers.CharField(allow_blank=True)
    address = serializers.CharField(allow_blank=True)
    hours = serializers.CharField(allow_blank=True)
    phone = serializers.CharField(allow_blank=True)


class BundleItemSummarySerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    name_en = serializers.CharField(allow_blank=True)
    department = serializers.CharField()
    always = serializers.BooleanField(help_text="applies in every situation")
    reason = serializers.CharField(allow_blank=True)


class BundleSummarySerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    name_en = serializers.CharField(allow_blank=True)
    summary = serializers.CharField(allow_blank=True)
    summary_en = serializers.CharField(allow_blank=True)
    applicant_type = serializers.ChoiceField(choices=["person", "enterprise"])
    keywords = serializers.CharField(allow_blank=True)
    version = serializers.IntegerField()
    published_at = serializers.DateTimeField()
    departments = serializers.ListField(child=serializers.CharField())
    reductions = ReductionsOverviewSerializer()


class BundleDetailSerializer(BundleSummarySerializer):
    questions = QuestionSerializer(many=True)
    items = BundleItemSummarySerializer(many=True)
    service_locations = LocationSerializer(many=True)


class NoticeRequestSerializer(serializers.Serializer):
    answers = serializers.DictField(
        help_text='{"question_key": "option" | ["option", ...] | true/false}', child=serializers.JSONField()
    )


class NamedSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    name_en = serializers.CharField(allow_blank=True)


class NoticeItemSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    name_en = serializers.CharField(allow_blank=True)
    department = NamedSerializer()
    reason = serializers.CharField(allow_blank=True)
    reason_en = serializers.CharField(allow_blank=True)
    legal_basis = serializers.CharField(allow_blank=True)
    conditions = serializers.ListField(child=serializers.CharField())
    committed_days = serializers.IntegerField()
    statutory_days = serializers.IntegerField()
    fee = serializers.DictField()
    channels = serializers.ListField(child=serializers.CharField())
    output = serializers.DictField()
    waits_for = serializers.ListField(child=serializers.CharField())
    materials = serializers.ListField(child=serializers.CharField())
    start_day = serializers.IntegerField()
    finish_day = serializers.IntegerField()
    critical = serializers.BooleanField()


class NoticeMaterialSerializer(serializers.Serializer):
    key = serializers.CharField()
    name = serializers.CharField()
    name_en = serializers.CharField(allow_blank=True)
    description = serializers.CharField(allow_blank=True)
    form = serializers.CharField()
    copies = serializers.IntegerField()
    required = serializers.BooleanField()
    deferrable = serializers.BooleanField()
    pledgeable = serializers.BooleanField()
    shared = serializers.DictField(allow_null=True)
    bring = serializers.BooleanField(help_text="false when the government already holds it (no need to bring)")
    needed_by = serializers.ListField(child=serializers.CharField())


class NoticeTimeSerializer(serializers.Serializer):
    bundle_days = serializers.IntegerField(help_text="working days along the critical path")
    sequential_days = serializers.IntegerField(help_text="working days with the items done one after another")
    critical_path = serializers.ListField(child=serializers.CharField())


class NoticeSerializer(serializers.Serializer):
    bundle = NamedSerializer()
    answers = serializers.DictField()
    items = NoticeItemSerializer(many=True)
    materials = NoticeMaterialSerializer(many=True)
    total_fee = serializers.CharField()
    time = NoticeTimeSerializer()
    channels = serializers.ListField(child=serializers.CharField())
    service_locations = LocationSerializer(many=True)
    reductions = ReductionsSerializer()
