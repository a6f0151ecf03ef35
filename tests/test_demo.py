"""`flask --app app seed-demo`: a current demo town, loaded once."""

import sqlalchemy as sa

from app.demo import SINGLE, WEEKLY
from app.extensions import db
from app.models import Activity, Occurrence, Organisation
from app.services.activities import FIRST_CODE
from app.timeutil import utcnow


def _counts() -> dict[str, int]:
    counts = {
        model.__tablename__: db.session.scalar(sa.select(sa.func.count()).select_from(model))
        for model in (Organisation, Activity, Occurrence)
    }
    db.session.commit()  # end the read so the next command's writes are seen
    return counts


def test_seed_demo_loads_a_town_with_current_activities(runner, ctx):
    result = runner.invoke(args=["seed-demo"])

    assert result.exit_code == 0, result.output
    counts = _counts()
    assert counts["organisations"] >= 4
    assert counts["activities"] >= 20
    organisers = db.session.scalars(sa.select(Activity.organisation_id).distinct()).all()
    assert len(organisers) >= 4

    now = utcnow()
    occurrences = db.session.scalars(sa.select(Occurrence).where(Occurrence.ends_at > now)).all()
    assert len(occurrences) >= counts["activities"]
    codes = [o.code for o in occurrences]
    assert None not in codes
    assert len(set(codes)) == len(codes)
    assert min(codes) >= FIRST_CODE
    # The soonest activities have the lowest codes.
    by_time = sorted(occurrences, key=lambda o: (o.starts_at, o.id))
    assert [o.code for o in by_time] == sorted(codes)
    # Every activity has something coming up, so the demo never looks empty.
    assert {o.activity_id for o in occurrences} == set(db.session.scalars(sa.select(Activity.id)))


def test_seed_demo_is_idempotent(runner, ctx):
    assert runner.invoke(args=["seed-demo"]).exit_code == 0
    before = _counts()

    again = runner.invoke(args=["seed-demo"])

    assert again.exit_code == 0, again.output
    assert "already" in again.output
    assert _counts() == before


def test_demo_texts_fit_an_sms_list():
    for _org, title, *_rest in WEEKLY + SINGLE:
        assert len(title) <= 30, title
