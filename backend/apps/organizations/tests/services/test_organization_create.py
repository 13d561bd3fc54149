"""organization_create: slugs derived from names stay unique and fit the column."""

from __future__ import annotations

import pytest

from apps.common.testing.factories import OrganizationFactory, UserFactory
from apps.organizations.models import OrganizationRole
from apps.organizations.services import organization_create

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("name", "slug"),
    [
        ("Acme", "acme"),
        ("  Acme  Security!! ", "acme-security"),
        ("Ärzte ohne Grenzen", "arzte-ohne-grenzen"),
        ("!!!", "organization"),
    ],
)
def test_slug_is_derived_from_the_name(name, slug):
    organization = organization_create(user=UserFactory(), name=name)
    assert organization.slug == slug


def test_long_names_get_a_slug_that_fits_with_its_suffix():
    OrganizationFactory(slug="a" * 146)
    organization = organization_create(user=UserFactory(), name="A" * 150)
    assert organization.slug == "a" * 146 + "-2"
    assert len(organization.slug) <= 150


def test_creator_is_the_only_owner():
    user = UserFactory()
    organization = organization_create(user=user, name="Solo")
    assert list(organization.memberships.values_list("user_id", "role")) == [
        (user.id, OrganizationRole.OWNER)
    ]
