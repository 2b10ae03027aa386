from django.contrib.sitemaps.views import sitemap
from django.urls import path

from apps.site import views
from apps.site.feeds import LatestPostsFeed
from apps.site.sitemaps import SITEMAPS

app_name = "site"

urlpatterns = [
    path("", views.landing, name="landing"),
    path("pricing/", views.pricing, name="pricing"),
    path("pricing/enterprise/", views.enterprise_inquiry, name="enterprise_inquiry"),
    path("features/", views.features, name="features"),
    path("features/widget-demo/", views.widget_demo, name="widget_demo"),
    path("use-cases/", views.use_cases, name="use_cases"),
    path("use-cases/<slug:slug>/", views.use_case, name="use_case"),
    path("blog/", views.blog, name="blog"),
    path("blog/feed/", LatestPostsFeed(), name="blog_feed"),
    path("blog/category/<slug:category_slug>/", views.blog, name="blog_category"),
    path("blog/<slug:slug>/", views.post_detail, name="post"),
    path("legal/<slug:page>/", views.legal, name="legal"),
    path("robots.txt", views.robots_txt, name="robots"),
    path("sitemap.xml", sitemap, {"sitemaps": SITEMAPS}, name="sitemap"),
]
