"""`flask --app app api-token …`: tokens for the JSON API, from the command line."""

import click
from flask.cli import AppGroup

from app.extensions import db
from app.models import Organisation
from app.services import api_tokens, staff_accounts
from app.services.api_tokens import TokenError

api_token_cli = AppGroup("api-token", help="Tokens for the JSON API (/api/v1).")


def register_api_cli(app) -> None:
    app.cli.add_command(api_token_cli)


@api_token_cli.command("create")
@click.option("--name", required=True, help='Who uses it: "Kommunens kalender".')
@click.option("--scope", "scopes", multiple=True, required=True,
              type=click.Choice(api_tokens.SCOPES), help="Repeat for more than one.")  # fmt: skip
@click.option("--organisation", default="", help="Bind it to this organisation (by name).")
@click.option("--by", "by_email", default="", help="The staff account responsible (email).")
@click.option("--webhook-url", default="", help="POST events here (https).")
@click.option("--event", "events", multiple=True, type=click.Choice(list(api_tokens.EVENTS)),
              help="Events for the webhook; default: all the scopes allow.")  # fmt: skip
def create_token(name, scopes, organisation, by_email, webhook_url, events) -> None:
    """Make a token. It is printed once: store it where the platform keeps secrets."""
    org = None
    if organisation:
        org = db.session.query(Organisation).filter(
            Organisation.name.ilike(organisation.strip())
        ).one_or_none()  # fmt: skip
        if org is None:
            raise click.BadParameter("no organisation with that name", param_hint="--organisation")
    maker = None
    if by_email:
        maker = staff_accounts.find_by_email(by_email)
        if maker is None:
            raise click.BadParameter("no staff account with that email", param_hint="--by")
    if webhook_url and not events:
        events = [e for e, allowed in api_tokens.EVENTS.items() if set(allowed) & set(scopes)]
    try:
        made = api_tokens.create(
            name, scopes, created_by=maker, organisation=org,
            webhook_url=webhook_url or None, webhook_events=events,
        )  # fmt: skip
    except TokenError as error:
        raise click.ClickException(str(error)) from None
    secret = made.token.webhook_secret
    db.session.commit()
    click.echo(f"Created token {made.token.id} ({made.token.name}): {', '.join(made.token.scopes)}")
    click.echo("The token is shown only now; keep it secret:")
    click.echo(made.plaintext)
    if secret:
        click.echo(f"Webhook signing secret (for X-Samtale-Signature): {secret}")


@api_token_cli.command("list")
def list_tokens() -> None:
    """Every token: id, prefix, name, scopes, organisation, last use, revoked."""
    for token in api_tokens.listing():
        used = token.last_used_at.strftime("%Y-%m-%d %H:%M") if token.last_used_at else "never"
        state = f"revoked {token.revoked_at:%Y-%m-%d}" if token.revoked_at else "active"
        org = f" [{token.organisation.name}]" if token.organisation else ""
        hook = f" webhook: {token.webhook_url}" if token.webhook_url else ""
        click.echo(f"{token.id}\tsmt_{token.prefix}_…\t{token.name}{org}\t"
                   f"{','.join(token.scopes)}\tused {used}\t{state}{hook}")  # fmt: skip


@api_token_cli.command("revoke")
@click.argument("token_key")
def revoke_token(token_key: str) -> None:
    """Stop a token working at once: by its id, its prefix or its name."""
    token = api_tokens.by_name_or_prefix(token_key)
    if token is None:
        raise click.ClickException("No such token.")
    if not api_tokens.revoke(token):
        click.echo(f"Token {token.id} ({token.name}) was revoked already.")
        return
    db.session.commit()
    click.echo(f"Revoked token {token.id} ({token.name}).")
