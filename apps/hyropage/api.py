"""/api/v1/tenants/{tenant_id}/hyropages/: list and create pages from a brief (the generation
runs in the background), read and edit one page, publish and unpublish it. Operators and
admins write, analysts read; the hyropage tool is needed."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from apps.core.api import error_responses, validated
from apps.features.guards import RequiresFeature
from apps.hyropage import selectors, services
from apps.hyropage.public import public_url
from apps.hyropage.serializers import (
    PageCreateSerializer,
    PageDetailSerializer,
    PageSerializer,
    PageUpdateSerializer,
    PublishSerializer,
)
from apps.tenants.api_base import TENANT_ID, TenantAPIView
from apps.tenants.roles import Role

PAGE_ID = OpenApiParameter("page_id", OpenApiTypes.INT, OpenApiParameter.PATH)
TAGS = ["hyropage"]
TOOL = "hyropage"


class HyroPageAPIView(TenantAPIView):
    roles = {
        "GET": Role.ANALYST,
        "HEAD": Role.ANALYST,
        "OPTIONS": Role.ANALYST,
        "POST": Role.OPERATOR,
        "PATCH": Role.OPERATOR,
    }
    permission_classes = [IsAuthenticated, RequiresFeature(TOOL)]


def _page_data(page) -> dict:
    return {
        "id": page.pk,
        "slug": page.slug,
        "status": page.status,
        "product": page.product,
        "audience": page.audience,
        "tone": page.tone,
        "language": page.language,
        "booking_url": page.booking_url,
        "lead_id": page.lead_id,
        "version": page.version,
        "public_url": public_url(page),
        "views": page.views,
        "conversions": getattr(page, "conversions", 0),
        "published_at": page.published_at,
        "created_at": page.created_at,
    }


def _detail(tenant, page) -> dict:
    selectors.conversions_attach(tenant, [page])
    generation = selectors.generation_latest(tenant, page)
    return {
        **_page_data(page),
        "content": page.content or None,
        "generation": None
        if generation is None
        else {
            "id": generation.pk,
            "status": generation.status,
            "model_requested": generation.model_requested,
            "model_used": generation.model_used,
            "offline": generation.offline,
            "error_code": generation.error_code,
            "created_at": generation.created_at,
        },
    }


@extend_schema(tags=TAGS, parameters=[TENANT_ID])
class PageCollectionAPI(HyroPageAPIView):
    @extend_schema(
        operation_id="listHyroPages",
        summary="The company's landing pages with views and conversions",
        responses={200: PageSerializer(many=True), **error_responses(401, 403, 404)},
    )
    def get(self, request, tenant_id):
        pages = selectors.page_list(self.tenant)
        return Response(PageSerializer([_page_data(p) for p in pages], many=True).data)

    @extend_schema(
        operation_id="createHyroPage",
        summary="A draft page from a brief; the text is generated in the background",
        description="Answers 202 with the page and its pending generation; poll the page until "
        "`generation.status` is `done` (or `failed`). Each generation counts against the plan's "
        "monthly allowance (402 `quota_exceeded` when used up); with no AI key configured the "
        "labelled template generator writes the page and nothing is counted.",
        request=PageCreateSerializer,
        responses={
            202: PageDetailSerializer,
            **error_responses(400, 401, 402, 403, 404, 409),
        },
    )
    def post(self, request, tenant_id):
        page, _generation = self.service_call(services.page_create, PageCreateSerializer)
        page = selectors.page_get(self.tenant, page.pk)
        return Response(
            PageDetailSerializer(_detail(self.tenant, page)).data, status=status.HTTP_202_ACCEPTED
        )


@extend_schema(tags=TAGS, parameters=[TENANT_ID, PAGE_ID])
class PageDetailAPI(HyroPageAPIView):
    @extend_schema(
        operation_id="getHyroPage",
        summary="One page: brief, content, latest generation",
        responses={200: PageDetailSerializer, **error_responses(401, 403, 404)},
    )
    def get(self, request, tenant_id, page_id):
        page = selectors.page_get(self.tenant, page_id)
        return Response(PageDetailSerializer(_detail(self.tenant, page)).data)

    @extend_schema(
        operation_id="updateHyroPage",
        summary="Replace the page's content (saved as a new version)",
        request=PageUpdateSerializer,
        responses={200: PageDetailSerializer, **error_responses(400, 401, 403, 404, 409)},
    )
    def patch(self, request, tenant_id, page_id):
        page = selectors.page_get(self.tenant, page_id)
        page = self.service_call(services.page_content_update, PageUpdateSerializer, page=page)
        return Response(PageDetailSerializer(_detail(self.tenant, page)).data)


@extend_schema(tags=TAGS, parameters=[TENANT_ID, PAGE_ID])
class PagePublishAPI(HyroPageAPIView):
    @extend_schema(
        operation_id="publishHyroPage",
        summary="Publish (`published: true`) or unpublish the page",
        request=PublishSerializer,
        responses={200: PageDetailSerializer, **error_responses(400, 401, 403, 404, 409)},
    )
    def post(self, request, tenant_id, page_id):
        page = selectors.page_get(self.tenant, page_id)
        data = validated(PublishSerializer, request)
        action = services.page_publish if data["published"] else services.page_unpublish
        page = action(tenant=self.tenant, actor=request.user, page=page)
        return Response(PageDetailSerializer(_detail(self.tenant, page)).data)
