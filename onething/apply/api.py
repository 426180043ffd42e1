"""REST API of 一表申请: the merged form's JSON Schema, drafts, materials, submission and
the applicant's own cases. Same services as the HTML pages."""

from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny, BasePermission, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from onething.apply import selectors, services
from onething.apply.models import Draft, Upload
from onething.cases.models import Case
from onething.common.api import BilingualAPIError, ErrorSerializer
from onething.notice.api import published_or_404
from onething.notice.selectors import InvalidAnswers, answers_from_query


class IsApplicant(BasePermission):
    """Citizens and enterprises; clerks use the window console instead."""

    def has_permission(self, request, view) -> bool:
        return bool(request.user and request.user.is_authenticated and request.user.is_applicant)


class FormFieldSerializer(serializers.Serializer):
    key = serializers.CharField()
    label = serializers.CharField()
    label_en = serializers.CharField(allow_blank=True)
    type = serializers.CharField()
    required = serializers.BooleanField()
    authoritative = serializers.BooleanField()
    step = serializers.CharField()
    needed_by = serializers.ListField(child=serializers.CharField())
    max_length = serializers.IntegerField(
        source="effective_max_length", allow_null=True, help_text="free text: at most this many characters"
    )


class MergedFormSerializer(serializers.Serializer):
    json_schema = serializers.DictField(help_text="JSON Schema (2020-12) of the merged data")
    fields = FormFieldSerializer(many=True)


class DraftCreateSerializer(serializers.Serializer):
    bundle = serializers.SlugField()
    answers = serializers.DictField(child=serializers.JSONField())


class DraftSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    bundle = serializers.CharField(source="version.bundle.code")
    version = serializers.IntegerField(source="version.number")
    answers = serializers.DictField()
    data = serializers.DictField()
    prefilled = serializers.DictField(help_text="data element -> {source, value} filled from government data")
    materials = serializers.DictField()
    prefill_notice = serializers.CharField(allow_blank=True)
    expires_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()


MAX_DATA_KEYS = 1000  # keys of one data object; as many as Django takes from an HTML form


class DraftOpenedSerializer(DraftSerializer):
    resumed = serializers.BooleanField(help_text="an open draft already existed and is returned as it was")


class DraftUpdateSerializer(serializers.Serializer):
    data = serializers.DictField(child=serializers.JSONField())

    def validate_data(self, value: dict) -> dict:
        if len(value) > MAX_DATA_KEYS:
            raise serializers.ValidationError(f"at most {MAX_DATA_KEYS} keys")
        return value


class MaterialAttachSerializer(serializers.Serializer):
    key = serializers.CharField()
    upload = serializers.IntegerField()


MAX_ATTACHMENTS = 100  # material lines of one request; no bundle comes near it


ATTACH_LINE = {  # MaterialAttachSerializer, for the OpenAPI schema
    "type": "object",
    "properties": {
        "key": {"type": "string"},
        "upload": {"type": "integer", "description": "id from POST /api/uploads/"},
    },
    "required": ["key", "upload"],
}


class CaseMaterialSerializer(serializers.Serializer):
    key = serializers.CharField()
    name = serializers.CharField()
    source = serializers.CharField()
    licence_number = serializers.CharField(allow_blank=True)
    upload = serializers.IntegerField(source="upload_id", allow_null=True)
    needed_by = serializers.ListField(child=serializers.CharField())


class CaseSerializer(serializers.Serializer):
    number = serializers.CharField()
    bundle = serializers.CharField(source="version.bundle.code")
    version = serializers.IntegerField(source="version.number")
    state = serializers.CharField()
    channel = serializers.CharField()
    answers = serializers.DictField()
    data = serializers.DictField()
    field_count = serializers.IntegerField()
    prefilled_count = serializers.IntegerField()
    first_time_right = serializers.BooleanField()
    submitted_at = serializers.DateTimeField()
    materials = CaseMaterialSerializer(many=True, source="materials.all")


# The journey's answers are built directly (a serializer instance deep-copies its fields and
# walks every key of the data dicts: about a millisecond per answer); the serializers above
# describe them in the OpenAPI schema, and tests/apply/test_load_path.py checks both agree.
_DATETIME = serializers.DateTimeField()  # the API's datetime format and time zone


def draft_body(draft: Draft) -> dict:
    """``DraftSerializer(draft).data``, built directly."""
    return {
        "id": str(draft.id),
        "bundle": draft.version.bundle.code,
        "version": draft.version.number,
        "answers": dict(draft.answers),
        "data": dict(draft.data),
        "prefilled": dict(draft.prefilled),
        "materials": dict(draft.materials),
        "prefill_notice": str(draft.prefill_notice),
        "expires_at": _DATETIME.to_representation(draft.expires_at) if draft.expires_at else None,
        "updated_at": _DATETIME.to_representation(draft.updated_at) if draft.updated_at else None,
    }


def case_body(case: Case) -> dict:
    """``CaseSerializer(case).data``, built directly."""
    return {
        "number": case.number,
        "bundle": case.version.bundle.code,
        "version": case.version.number,
        "state": str(case.state),
        "channel": str(case.channel),
        "answers": dict(case.answers),
        "data": dict(case.data),
        "field_count": case.field_count,
        "prefilled_count": case.prefilled_count,
        "first_time_right": case.first_time_right,
        "submitted_at": _DATETIME.to_representation(case.submitted_at) if case.submitted_at else None,
        "materials": [
            {
                "key": m.key,
                "name": m.name,
                "source": m.source,
                "licence_number": m.licence_number,
                "upload": m.upload_id,
                "needed_by": [str(n) for n in m.needed_by],
            }
            for m in case.materials.all()
        ],
    }


FORBIDDEN = OpenApiResponse(ErrorSerializer, description="not logged in, or not an applicant 未登录或非申请人")


def field_errors(errors: dict) -> list[dict]:
    return [{"field": key, **error.as_dict()} for key, error in errors.items()]


def material_problems(draft: Draft) -> list[dict]:
    """Required materials still to upload (they do not block submission; pre-review names them)."""
    return [
        {
            "material": line.key,
            "code": "material_missing",
            "message": f"还需上传：{line.name}",
            "message_en": f"still to upload: {line.name_en or line.name}",
        }
        for line in selectors.missing_required_materials(draft=draft)
    ]


class MergedFormView(APIView):
    permission_classes = [AllowAny]

    @extend_schema(
        summary="The merged form (一表申请) for a situation: JSON Schema and fields",
        parameters=[OpenApiParameter("question_key", str, description="answers as query parameters")],
        responses={200: MergedFormSerializer, 400: ErrorSerializer, 404: ErrorSerializer},
    )
    def get(self, request: Request, code: str) -> Response:
        version = published_or_404(code)
        compiled = selectors.compiled_for(version=version)
        from onething.catalog import situations

        answers, errors = situations.check_answers(
            compiled.questions, answers_from_query(compiled=compiled, query=request.query_params)
        )
        if errors:
            raise InvalidAnswers(errors)
        form = selectors.form_for(version=version, answers=answers)
        body = {
            "json_schema": form.json_schema(),
            "fields": [vars(f) | {"step": f.step, "effective_max_length": f.effective_max_length} for f in form.fields],
        }
        return Response(MergedFormSerializer(body).data)


class DraftListView(APIView):
    permission_classes = [IsApplicant]

    @extend_schema(summary="My open drafts", responses={200: DraftSerializer(many=True), 403: FORBIDDEN})
    def get(self, request: Request) -> Response:
        return Response(DraftSerializer(selectors.drafts_of(user=request.user), many=True).data)

    @extend_schema(
        summary="Start a draft for a bundle and situation (prefilled from government data)",
        description=(
            "If I already have an open draft of the bundle's published version, that draft is "
            "returned as it is (200, `resumed: true`, whatever its situation answers); to start "
            "over, DELETE it and POST again. Otherwise a new draft (201, `resumed: false`); 409 "
            "`draft_quota_exceeded` when I hold DRAFT_QUOTA open drafts already (across bundles)."
        ),
        request=DraftCreateSerializer,
        responses={
            200: DraftOpenedSerializer,
            201: DraftOpenedSerializer,
            400: ErrorSerializer,
            403: FORBIDDEN,
            404: ErrorSerializer,
            409: ErrorSerializer,
        },
    )
    def post(self, request: Request) -> Response:
        body = DraftCreateSerializer(data=request.data)
        if not body.is_valid():
            raise BilingualAPIError(
                code="invalid_request", message="请求格式错误", message_en="malformed request", details=[body.errors]
            )
        version = published_or_404(body.validated_data["bundle"])
        opened = services.draft_open(  # DraftQuotaExceeded: 409
            applicant=request.user, version=version, raw_answers=body.validated_data["answers"]
        )
        return Response(
            draft_body(opened.draft) | {"resumed": opened.resumed},
            status=status.HTTP_200_OK if opened.resumed else status.HTTP_201_CREATED,
        )


def own_draft(request: Request, draft_id) -> Draft:
    try:
        return selectors.draft_of(user=request.user, draft_id=draft_id)
    except Draft.DoesNotExist as missing:
        raise BilingualAPIError(
            code="not_found", message="没有这份草稿", message_en="no such draft", status_code=404
        ) from missing


class DraftDetailView(APIView):
    permission_classes = [IsApplicant]

    @extend_schema(summary="One of my drafts", responses={200: DraftSerializer, 403: FORBIDDEN, 404: ErrorSerializer})
    def get(self, request: Request, draft_id) -> Response:
        return Response(draft_body(own_draft(request, draft_id)))

    @extend_schema(
        summary="Save data into a draft (kept even when not yet valid; problems listed)",
        request=DraftUpdateSerializer,
        responses={200: DraftSerializer, 400: ErrorSerializer, 403: FORBIDDEN, 404: ErrorSerializer},
    )
    def patch(self, request: Request, draft_id) -> Response:
        draft = own_draft(request, draft_id)
        body = DraftUpdateSerializer(data=request.data)
        if not body.is_valid():
            raise BilingualAPIError(
                code="invalid_request", message="请求格式错误", message_en="malformed request", details=[body.errors]
            )
        result = services.draft_save(draft=draft, raw_data=body.validated_data["data"])
        return Response(
            draft_body(result.draft)
            | {"problems": field_errors(result.errors), "missing_materials": material_problems(result.draft)}
        )

    @extend_schema(
        summary="Delete one of my drafts (never one already submitted: 409)",
        request=None,
        responses={204: None, 403: FORBIDDEN, 404: ErrorSerializer, 409: ErrorSerializer},
    )
    def delete(self, request: Request, draft_id) -> Response:
        draft = selectors.submittable_draft(user=request.user, draft_id=draft_id)
        try:
            if draft is None:
                raise Draft.DoesNotExist
            services.draft_delete(applicant=request.user, draft=draft)
        except Draft.DoesNotExist as missing:
            raise BilingualAPIError(
                code="not_found", message="没有这份草稿", message_en="no such draft", status_code=404
            ) from missing
        return Response(status=status.HTTP_204_NO_CONTENT)


class DraftMaterialView(APIView):
    permission_classes = [IsApplicant]

    @extend_schema(
        summary="Attach uploaded files (POST /api/uploads/) to material lines",
        description=(
            "One line as `{key, upload}`, or several at once as a list of them (all or none: "
            f"one line refused refuses the request; at most {MAX_ATTACHMENTS} lines)."
        ),
        request={
            "application/json": {
                "oneOf": [
                    ATTACH_LINE,
                    {
                        "type": "array",
                        "items": ATTACH_LINE,
                        "minItems": 1,
                        "maxItems": MAX_ATTACHMENTS,
                    },
                ]
            }
        },
        examples=[
            OpenApiExample("one line", value={"key": "hospital-birth-record", "upload": 17}, request_only=True),
            OpenApiExample(
                "several lines",
                value=[{"key": "hospital-birth-record", "upload": 17}, {"key": "child-photo", "upload": 18}],
                request_only=True,
            ),
        ],
        responses={200: DraftSerializer, 400: ErrorSerializer, 403: FORBIDDEN, 404: ErrorSerializer},
    )
    def post(self, request: Request, draft_id) -> Response:
        draft = own_draft(request, draft_id)
        if isinstance(request.data, list):
            body = MaterialAttachSerializer(data=request.data, many=True, allow_empty=False, max_length=MAX_ATTACHMENTS)
        else:
            body = MaterialAttachSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        lines = body.validated_data if isinstance(body.validated_data, list) else [body.validated_data]
        uploads = Upload.objects.filter(pk__in={line["upload"] for line in lines}, owner=request.user).in_bulk()
        draft = services.draft_attach_many(  # MaterialNotAllowed: 400
            draft=draft, attachments=[(line["key"], uploads.get(line["upload"])) for line in lines]
        )
        return Response(draft_body(draft))


class DraftSubmitView(APIView):
    permission_classes = [IsApplicant]

    @extend_schema(
        summary="Submit the draft as a case (idempotent: repeating returns the same case)",
        request=None,
        responses={201: CaseSerializer, 400: ErrorSerializer, 403: FORBIDDEN, 404: ErrorSerializer},
    )
    def post(self, request: Request, draft_id) -> Response:
        draft = selectors.submittable_draft(user=request.user, draft_id=draft_id)
        if draft is None:
            raise BilingualAPIError(
                code="not_found", message="没有这份草稿", message_en="no such draft", status_code=404
            )
        try:
            case = services.draft_submit(draft=draft)
        except services.SubmissionInvalid as invalid:
            # every problem at once: each field under its own key, then the materials still
            # to upload (those alone would not have stopped the submission)
            details = field_errors(invalid.errors) + material_problems(draft)
            raise BilingualAPIError(
                code="invalid_data",
                message=f"有 {len(details)} 项需要修改",
                message_en=f"{len(details)} problem(s) to fix",
                details=details,
            ) from invalid
        return Response(case_body(case), status=status.HTTP_201_CREATED)


class CaseListView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(summary="My cases", responses={200: CaseSerializer(many=True), 403: FORBIDDEN})
    def get(self, request: Request) -> Response:
        cases = selectors.cases_of(user=request.user).prefetch_related("materials")
        return Response(CaseSerializer(cases, many=True).data)


class CaseDetailView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(summary="One of my cases", responses={200: CaseSerializer, 403: FORBIDDEN, 404: ErrorSerializer})
    def get(self, request: Request, number: str) -> Response:
        try:
            case = selectors.case_of(user=request.user, number=number)
        except Case.DoesNotExist as missing:
            raise BilingualAPIError(
                code="not_found", message="没有这个办件", message_en="no such case", status_code=404
            ) from missing
        return Response(CaseSerializer(case).data)
