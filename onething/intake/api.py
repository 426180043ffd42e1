"""REST API of the clerk console (一口受理): the pre-review queue, one case with its
automatic findings, and accept / return for correction / refuse / reassign.

Window clerks only (others get 403; anonymous requests 403, as session authentication
sends no challenge); a clerk sees only the cases of their own centre, any other case is
404. The same services as the console pages decide everything; the serializers read the
request, and what a service refuses (a domain error: acceptance_refused, return_refused,
reason_required, reassign_refused, state_conflict ...) becomes its JSON error in the one
exception handler (onething/common/api.py).
"""

from django.urls import reverse
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from onething.apply.api import CaseMaterialSerializer
from onething.cases.models import Case
from onething.common.api import ErrorSerializer
from onething.common.errors import NotFound
from onething.identity.masking import mask_id_number
from onething.intake import selectors, services
from onething.intake.materials import Decision
from onething.intake.models import MaterialCheck

FORBIDDEN = OpenApiResponse(ErrorSerializer, description="not a window clerk, or not logged in 非窗口人员或未登录")
NOT_FOUND = OpenApiResponse(ErrorSerializer, description="no such case in the clerk's centre 本中心没有这个办件")


class IsClerk(BasePermission):
    """Window clerks (users with a Clerk record) only."""

    message = "仅窗口人员可以使用受理接口 (window clerks only)"

    def has_permission(self, request, view) -> bool:
        return selectors.remember_clerk(request.user) is not None


# --- serializers ------------------------------------------------------------------------------


class QueueCaseSerializer(serializers.Serializer):
    number = serializers.CharField()
    bundle = serializers.CharField(source="version.bundle.code")
    bundle_name = serializers.CharField(source="version.bundle.name")
    applicant_name = serializers.SerializerMethodField()
    applicant_id_masked = serializers.SerializerMethodField()
    channel = serializers.CharField()
    state = serializers.CharField()
    submitted_at = serializers.DateTimeField()
    resubmitted = serializers.SerializerMethodField(help_text="resubmitted after a return for correction")

    def get_applicant_name(self, case: Case) -> str:
        return case.applicant.full_name or case.applicant.username

    def get_applicant_id_masked(self, case: Case) -> str:
        return mask_id_number(case.applicant.id_number)

    def get_resubmitted(self, case: Case) -> bool:
        return any(c.resubmitted_at for c in case.corrections.all())


class FindingSerializer(serializers.Serializer):
    level = serializers.ChoiceField(choices=["ok", "warning", "error"])
    code = serializers.CharField()
    message = serializers.CharField()
    message_en = serializers.CharField()
    key = serializers.CharField(allow_blank=True, help_text="field or material key the finding is about")


class RequirementSerializer(serializers.Serializer):
    key = serializers.CharField()
    name = serializers.CharField()
    name_en = serializers.CharField(allow_blank=True)
    required = serializers.BooleanField()
    deferrable = serializers.BooleanField()
    pledgeable = serializers.BooleanField()
    bring = serializers.BooleanField(help_text="the applicant brings it (the government does not hold it)")
    shared = serializers.DictField(allow_null=True)
    needed_by = serializers.ListField(child=serializers.CharField())


class MaterialCheckSerializer(serializers.Serializer):
    key = serializers.CharField()
    name = serializers.CharField()
    outcome = serializers.ChoiceField(choices=MaterialCheck.Outcome.choices)
    due_date = serializers.DateField(allow_null=True)
    supplied_at = serializers.DateTimeField(allow_null=True)
    pledge_signed_at = serializers.DateTimeField(allow_null=True)
    overdue = serializers.BooleanField()


class CorrectionItemSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=["field", "material"])
    key = serializers.CharField()
    message = serializers.CharField(allow_blank=True)


class CorrectionRequestSerializer(serializers.Serializer):
    round = serializers.IntegerField()
    corrections = CorrectionItemSerializer(many=True)
    created_at = serializers.DateTimeField()
    resubmitted_at = serializers.DateTimeField(allow_null=True)


class CaseDetailSerializer(QueueCaseSerializer):
    version = serializers.IntegerField(source="version.number")
    answers = serializers.DictField()
    data = serializers.DictField()
    owner = serializers.CharField(source="owner.username", allow_null=True, default=None)
    accepted_at = serializers.DateTimeField(allow_null=True)
    due_date = serializers.DateField(allow_null=True)
    refusal_reason = serializers.CharField(allow_blank=True)
    deferral_overdue = serializers.BooleanField()
    materials = CaseMaterialSerializer(many=True, source="materials.all")
    requirements = serializers.SerializerMethodField()
    findings = serializers.SerializerMethodField(
        help_text="automatic pre-review (数据、材料、信用、电子证照核验); only while the case awaits pre-review"
    )
    material_checks = MaterialCheckSerializer(many=True, source="material_checks.all")
    corrections = CorrectionRequestSerializer(many=True, source="corrections.all")
    receipt_url = serializers.SerializerMethodField()

    @extend_schema_field(RequirementSerializer(many=True))
    def get_requirements(self, case: Case) -> list[dict]:
        return RequirementSerializer(selectors.requirements(case), many=True).data

    @extend_schema_field(FindingSerializer(many=True))
    def get_findings(self, case: Case) -> list[dict]:
        if case.state != Case.State.SUBMITTED:
            return []
        return FindingSerializer(services.prereview(case=case), many=True).data

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_receipt_url(self, case: Case) -> str | None:
        if case.accepted_at is None:
            return None
        return reverse("documents:receipt", kwargs={"number": case.number})


class ChecklistEntrySerializer(serializers.Serializer):
    outcome = serializers.ChoiceField(choices=MaterialCheck.Outcome.choices)
    due_date = serializers.DateField(required=False, allow_null=True, help_text="deadline of a deferred material")
    pledge_signed = serializers.BooleanField(required=False, default=False)


class AcceptSerializer(serializers.Serializer):
    checklist = serializers.DictField(
        child=ChecklistEntrySerializer(),
        required=False,
        help_text="material key -> how it was satisfied; omitted: what the applicant provided or declared online",
    )

    def validate_checklist(self, checklist: dict) -> dict[str, Decision]:
        """The checklist as the service takes it."""
        return {
            key: Decision(
                outcome=entry["outcome"],
                due_date=entry.get("due_date"),
                pledge_signed=entry.get("pledge_signed", False),
            )
            for key, entry in checklist.items()
        }


class ReturnSerializer(serializers.Serializer):
    corrections = CorrectionItemSerializer(many=True, allow_empty=True)


class RefuseSerializer(serializers.Serializer):
    reason = serializers.CharField(allow_blank=True, required=False, default="", help_text="legal basis 法律依据")


class ReassignSerializer(serializers.Serializer):
    to = serializers.CharField(help_text="username of another clerk of the same centre")
    reason = serializers.CharField(allow_blank=True)


class CorrectionCreatedSerializer(serializers.Serializer):
    number = serializers.CharField()
    state = serializers.CharField()
    round = serializers.IntegerField()
    corrections = CorrectionItemSerializer(many=True)
    notice_url = serializers.CharField(help_text="the correction notice (补正告知书) PDF")


# --- views ------------------------------------------------------------------------------------


def _clerk_case(request: Request, number: str) -> Case:
    clerk = selectors.clerk_of(request.user)
    try:
        return selectors.case_for_clerk(clerk=clerk, number=number)
    except Case.DoesNotExist:
        raise NotFound("本中心没有这个办件", "no such case in your centre") from None


def _detail(case: Case) -> dict:
    case = (
        Case.objects.select_related("version__bundle", "applicant", "owner")
        .defer("version__snapshot")
        .prefetch_related("materials", "material_checks", "corrections")
        .get(pk=case.pk)
    )
    return CaseDetailSerializer(case).data


class QueueView(APIView):
    permission_classes = [IsClerk]

    @extend_schema(
        summary="Pre-review queue of my centre 预审队列 (oldest first)",
        responses={200: QueueCaseSerializer(many=True), 403: FORBIDDEN},
    )
    def get(self, request: Request) -> Response:
        clerk = selectors.clerk_of(request.user)
        cases = selectors.prereview_queue(clerk=clerk).prefetch_related("corrections")
        return Response(QueueCaseSerializer(cases, many=True).data)


class CaseView(APIView):
    permission_classes = [IsClerk]

    @extend_schema(
        summary="One case of my centre with its automatic pre-review findings 办件详情与自动预审",
        responses={200: CaseDetailSerializer, 403: FORBIDDEN, 404: NOT_FOUND},
    )
    def get(self, request: Request, number: str) -> Response:
        return Response(CaseDetailSerializer(_clerk_case(request, number)).data)


class AcceptView(APIView):
    permission_classes = [IsClerk]

    @extend_schema(
        summary="Accept a case 受理 (the clerk becomes its first-contact owner)",
        description=(
            "The checklist records how each required material was satisfied. Deferral (容缺) only where the "
            "material allows it and never for an applicant with a dishonest-credit record; a pledge (告知承诺) "
            "must be signed. On refusal `details` lists every problem: {key, code, message, message_en}."
        ),
        request=AcceptSerializer,
        responses={
            200: CaseDetailSerializer,
            400: OpenApiResponse(ErrorSerializer, description="acceptance_refused / invalid_request"),
            403: FORBIDDEN,
            404: NOT_FOUND,
            409: OpenApiResponse(ErrorSerializer, description="state_conflict: not awaiting pre-review"),
        },
    )
    def post(self, request: Request, number: str) -> Response:
        case = _clerk_case(request, number)
        body = AcceptSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        case = services.case_accept(case=case, clerk=request.user, checklist=body.validated_data.get("checklist"))
        return Response(_detail(case))


class ReturnView(APIView):
    permission_classes = [IsClerk]

    @extend_schema(
        summary="Return a case for correction 退回补正 (every point at once)",
        description=(
            "一次性告知: a later return may only name fields or materials the applicant changed since the "
            "previous one; otherwise 400 `return_refused` with code `not_changed_since` per key."
        ),
        request=ReturnSerializer,
        responses={
            201: CorrectionCreatedSerializer,
            400: OpenApiResponse(ErrorSerializer, description="return_refused / invalid_request"),
            403: FORBIDDEN,
            404: NOT_FOUND,
            409: OpenApiResponse(ErrorSerializer, description="state_conflict"),
        },
    )
    def post(self, request: Request, number: str) -> Response:
        case = _clerk_case(request, number)
        body = ReturnSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        corrections = [dict(c) for c in body.validated_data["corrections"]]
        correction = services.case_return(case=case, clerk=request.user, corrections=corrections)
        case.refresh_from_db()
        created = {
            "number": case.number,
            "state": case.state,
            "round": correction.round,
            "corrections": correction.corrections,
            "notice_url": reverse("documents:correction", kwargs={"number": case.number, "round": correction.round}),
        }
        return Response(CorrectionCreatedSerializer(created).data, status=status.HTTP_201_CREATED)


class RefuseView(APIView):
    permission_classes = [IsClerk]

    @extend_schema(
        summary="Refuse a case 不予受理 (with the legal reason)",
        request=RefuseSerializer,
        responses={
            200: CaseDetailSerializer,
            400: OpenApiResponse(ErrorSerializer, description="reason_required / invalid_request"),
            403: FORBIDDEN,
            404: NOT_FOUND,
            409: OpenApiResponse(ErrorSerializer, description="state_conflict"),
        },
    )
    def post(self, request: Request, number: str) -> Response:
        case = _clerk_case(request, number)
        body = RefuseSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        case = services.case_refuse(case=case, clerk=request.user, reason=body.validated_data["reason"])
        return Response(_detail(case))


class ReassignView(APIView):
    permission_classes = [IsClerk]

    @extend_schema(
        summary="Hand first-contact ownership to another clerk of the centre 转交 (audited)",
        request=ReassignSerializer,
        responses={
            200: CaseDetailSerializer,
            400: OpenApiResponse(ErrorSerializer, description="reassign_refused / invalid_request"),
            403: FORBIDDEN,
            404: NOT_FOUND,
        },
    )
    def post(self, request: Request, number: str) -> Response:
        case = _clerk_case(request, number)
        body = ReassignSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        case = services.case_reassign_to(
            case=case, username=body.validated_data["to"], by=request.user, reason=body.validated_data["reason"]
        )
        return Response(_detail(case))
