"""Organisations: the volunteer centre, the library, the pensioners' association …"""

import sqlalchemy as sa

from app.api import bp
from app.api.auth import bound_organisation, check_organisation
from app.api.errors import not_found
from app.api.pagination import page_of
from app.api.schemas.activities import OrganisationOut, OrganisationPage
from app.api.schemas.common import PageQuery
from app.api.spec import operation
from app.extensions import db
from app.models import Organisation

TAG = "Organisations"
ID = "<int:organisation_id>"


def organisation_out(organisation: Organisation) -> OrganisationOut:
    return OrganisationOut.model_validate(organisation)


@bp.get("/organisations")
@operation("read", "activities", "tasks", tag=TAG, ok={200: OrganisationPage})
def list_organisations(query: PageQuery):
    """List organisations

    A token bound to an organisation sees only that one.
    """
    select = sa.select(Organisation).order_by(Organisation.name, Organisation.id)
    if (bound := bound_organisation()) is not None:
        select = select.where(Organisation.id == bound)
    return OrganisationPage(**page_of(select, query, organisation_out))


@bp.get(f"/organisations/{ID}")
@operation("read", "activities", "tasks", tag=TAG, ok={200: OrganisationOut}, errors=(404,))
def get_organisation(organisation_id: int):
    """One organisation"""
    found = db.session.get(Organisation, organisation_id)
    if found is None:
        raise not_found("organisation")
    check_organisation(found.id, "organisation")
    return organisation_out(found)
