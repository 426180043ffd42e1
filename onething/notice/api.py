"""REST API of the catalogue and the one-time notice. Thin: selectors do the work."""

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from onething.catalog import selectors as catalog_selectors
from onething.catalog.models import BundleVersion
from onething.common.api import BilingualAPIError, ErrorSerializer
from onething.notice import selectors, serializers


def published_or_404(code: str) -> BundleVersion:
    version = catalog_selectors.published_version(bundle_code=code)
    if version is None:
        raise BilingualAPIError(
            code="not_found", message=f"没有名为“{code}”的一件事", message_en=f"no bundle '{code}'", status_code=404
        )
    return version


class BundleListView(APIView):
    permission_classes = [AllowAny]

    @extend_schema(
        summary="List published bundles 一件事目录",
        parameters=[
            OpenApiParameter("q", str, description="keyword 关键词"),
            OpenApiParameter("applicant_type", str, enum=["person", "enterprise"]),
        ],
        responses=serializers.BundleSummarySerializer(many=True),
    )
    def get(self, request: Request) -> Response:
        versions = catalog_selectors.published_versions(
            query=request.query_params.get("q", ""), applicant_type=request.query_params.get("applicant_type", "")
        )
        overviews = [selectors.bundle_overview(version=v) for v in versions]
        return Response(serializers.BundleSummarySerializer(overviews, many=True).data)


class BundleDetailView(APIView):
    permission_classes = [AllowAny]

    @extend_schema(
        summary="A bundle's questions, items and four reductions",
        responses={200: serializers.BundleDetailSerializer, 404: ErrorSerializer},
    )
    def get(self, request: Request, code: str) -> Response:
        overview = selectors.bundle_overview(version=published_or_404(code))
        return Response(serializers.BundleDetailSerializer(overview).data)


class NoticeView(APIView):
    """The personalised one-time notice (一次告知) for a situation."""

    permission_classes = [AllowAny]
    authentication_classes: list = []

    @extend_schema(
        summary="Notice for answers given as JSON",
        request=serializers.NoticeRequestSerializer,
        responses={
            200: serializers.NoticeSerializer,
            400: ErrorSerializer,
            404: ErrorSerializer,
        },
    )
    def post(self, request: Request, code: str) -> Response:
        version = published_or_404(code)
        body = serializers.NoticeRequestSerializer(data=request.data)
        if not body.is_valid():
            raise BilingualAPIError(
                code="invalid_request",
                message="请求格式错误：需要 answers 对象",
                message_en="malformed request: an 'answers' object is required",
                details=[body.errors],
            )
        notice = selectors.notice_for(version=version, raw_answers=body.validated_data["answers"])
        return Response(selectors.notice_as_dict(notice))

    @extend_schema(
        summary="Notice for answers given as query parameters (?question=value, repeated for multiple choice)",
        responses={
            200: serializers.NoticeSerializer,
            400: ErrorSerializer,
            404: ErrorSerializer,
        },
    )
    def get(self, request: Request, code: str) -> Response:
        version = published_or_404(code)
        compiled = selectors.compiled_version(version=version)
        raw = selectors.answers_from_query(compiled=compiled, query=request.query_params)
        notice = selectors.notice_for(version=version, raw_answers=raw)
        return Response(selectors.notice_as_dict(notice))
