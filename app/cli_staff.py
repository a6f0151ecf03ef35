"""`flask --app app staff …`: staff accounts from the command line (the first admin)."""

import click
from flask.cli import AppGroup

from app.extensions import db
from app.models.staff import ROLES
from app.services import staff_accounts
from app.services.people import normalise_phone
from app.services.staff_accounts import AccountError

staff_cli = AppGroup("staff", help="Staff accounts for the web pages.")


def register_staff_cli(app) -> None:
    app.cli.add_command(staff_cli)


@staff_cli.command("create")
@click.option("--email", required=True, help="Signs in with this address.")
@click.option("--name", required=True)
@click.option("--role", type=click.Choice(ROLES), default="staff", show_default=True)
@click.option("--phone", default="", help="Their own phone, rung first by the Call button.")
@click.option("--language", type=click.Choice(["nb", "en"]), default="nb", show_default=True)
@click.password_option(help="Asked for twice, hidden, when not given.")
def create_staff(email, name, role, phone, language, password) -> None:
    """Create a staff account: `staff create --email … --name … --role admin`."""
    number = None
    if phone:
        number = normalise_phone(phone)
        if number is None:
            raise click.BadParameter("not a phone number", param_hint="--phone")
    try:
        user = staff_accounts.create(email, name, password, role, number, language)
    except AccountError as error:
        raise click.ClickException(str(error)) from None
    db.session.commit()
    click.echo(f"Created {user.role} {user.email} (id {user.id}).")


@staff_cli.command("password")
@click.option("--email", required=True)
@click.password_option(help="Asked for twice, hidden, when not given.")
def reset_password(email, password) -> None:
    """Set a new password for an account (it also ends that account's sessions)."""
    user = staff_accounts.find_by_email(email)
    if user is None:
        raise click.ClickException("No account with that email.")
    try:
        staff_accounts.set_password(user, password)
    except AccountError as error:
        raise click.ClickException(str(error)) from None
    db.session.commit()
    click.echo(f"New password set for {user.email}.")
