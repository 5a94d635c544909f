"""manage.py open311_key create NAME | revoke NAME | list — Open311 API keys from the command line."""

from django.core.management.base import BaseCommand, CommandError
from django.db import IntegrityError

from open311.models import ApiKey


class Command(BaseCommand):
    help = "Create (prints the key once), revoke or list Open311 API keys."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        create = sub.add_parser("create", help="create a key and print it")
        create.add_argument("name")
        create.add_argument("--contact", default="")
        revoke = sub.add_parser("revoke", help="revoke a key by name")
        revoke.add_argument("name")
        sub.add_parser("list", help="list keys")

    def handle(self, *args, action, **options):
        if action == "create":
            key = ApiKey(name=options["name"], contact=options["contact"])
            secret = key.set_new_key()
            try:
                key.save()
            except IntegrityError:
                raise CommandError(f"a key named {options['name']!r} already exists") from None
            self.stdout.write(secret)
        elif action == "revoke":
            key = ApiKey.objects.filter(name=options["name"]).first()
            if key is None:
                raise CommandError(f"no key named {options['name']!r}")
            key.revoke()
            self.stdout.write(f"revoked {key.name}")
        else:
            for key in ApiKey.objects.all():
                state = "revoked " + key.revoked_at.isoformat() if key.revoked_at else "active"
                self.stdout.write(f"{key.name}\t{key.prefix}…\t{state}\t{key.created_at.isoformat()}")
