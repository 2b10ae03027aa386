import factory
from django.utils import timezone

from apps.site.models import Category, Post, PostStatus


class CategoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Category
        django_get_or_create = ("slug",)

    slug = factory.Sequence(lambda n: f"category-{n}")
    name_ru = "Инструкции"
    name_en = "Guides"


class PostFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Post

    title = factory.Sequence(lambda n: f"Заметка {n}")
    slug = factory.Sequence(lambda n: f"post-{n}")
    language = "ru"
    category = factory.SubFactory(CategoryFactory)
    summary = "Коротко о главном."
    body = "Текст **заметки**."
    status = PostStatus.PUBLISHED
    published_at = factory.LazyFunction(timezone.now)
