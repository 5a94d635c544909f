"""The money triggers of 0002 learn about releases: a project commits its grant minus what it released.

- a call's projects never commit (granted - released) more than its budget;
- a project's disbursements always sum to between 0 and what it commits (granted - released);
- a project's releases always sum to between 0 and what was not paid of its grant; a negative
  entry (a reinstated project taking its money back) is refused if the call's budget no longer has it;
- releases, like disbursements, are append-only: a correction is a new entry.
Each trigger locks the parent rows first (call before project, as the services do), so concurrent
writers queue and see each other's committed rows. Errors are SQLSTATE 23514 (IntegrityError).
The grants_admin group also gets the new permission to view releases.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

FORWARD = """
CREATE OR REPLACE FUNCTION grants_call_committed(the_call bigint) RETURNS numeric LANGUAGE sql STABLE AS $$
    SELECT coalesce((SELECT sum(granted_amount) FROM grants_project WHERE call_id = the_call), 0)
         - coalesce((SELECT sum(r.amount) FROM grants_grantrelease r JOIN grants_project p ON p.id = r.project_id
                     WHERE p.call_id = the_call), 0)
$$;

CREATE OR REPLACE FUNCTION grants_project_released(the_project bigint) RETURNS numeric LANGUAGE sql STABLE AS $$
    SELECT coalesce(sum(amount), 0) FROM grants_grantrelease WHERE project_id = the_project
$$;

CREATE OR REPLACE FUNCTION grants_project_paid(the_project bigint) RETURNS numeric LANGUAGE sql STABLE AS $$
    SELECT coalesce(sum(amount), 0) FROM grants_disbursement WHERE project_id = the_project
$$;

CREATE OR REPLACE FUNCTION grants_project_money_guard() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    call_budget numeric;
    committed numeric;
    released numeric := 0;
    paid numeric;
BEGIN
    SELECT budget INTO call_budget FROM grants_call WHERE id = NEW.call_id FOR UPDATE;
    IF TG_OP = 'UPDATE' THEN
        released := grants_project_released(NEW.id);
    END IF;
    -- The other projects of the call, plus this one as it will be.
    SELECT coalesce(sum(p.granted_amount - grants_project_released(p.id)), 0) INTO committed
        FROM grants_project p WHERE p.call_id = NEW.call_id AND p.id <> NEW.id;
    committed := committed + NEW.granted_amount - released;
    IF committed > call_budget THEN
        RAISE EXCEPTION 'grants: call % would commit % EUR of a % EUR budget',
            NEW.call_id, committed, call_budget USING ERRCODE = 'check_violation';
    END IF;
    IF TG_OP = 'UPDATE' THEN
        paid := grants_project_paid(NEW.id);
        IF paid + released > NEW.granted_amount THEN
            RAISE EXCEPTION 'grants: project % was paid % EUR and released % EUR, more than the % EUR granted',
                NEW.id, paid, released, NEW.granted_amount USING ERRCODE = 'check_violation';
        END IF;
    END IF;
    RETURN NEW;
END $$;

CREATE OR REPLACE FUNCTION grants_call_budget_guard() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    committed numeric;
BEGIN
    committed := grants_call_committed(NEW.id);
    IF committed > NEW.budget THEN
        RAISE EXCEPTION 'grants: call % has % EUR committed, more than a budget of % EUR',
            NEW.id, committed, NEW.budget USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END $$;

CREATE OR REPLACE FUNCTION grants_disbursement_guard() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    granted numeric;
    released numeric;
    paid numeric;
BEGIN
    SELECT granted_amount INTO granted FROM grants_project WHERE id = NEW.project_id FOR UPDATE;
    released := grants_project_released(NEW.project_id);
    paid := grants_project_paid(NEW.project_id);
    IF paid + NEW.amount > granted - released OR paid + NEW.amount < 0 THEN
        RAISE EXCEPTION 'grants: project % would be paid % EUR of % EUR committed (% granted, % released)',
            NEW.project_id, paid + NEW.amount, granted - released, granted, released
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END $$;

CREATE FUNCTION grants_release_guard() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    the_call bigint;
    call_budget numeric;
    granted numeric;
    released numeric;
    paid numeric;
    committed numeric;
BEGIN
    SELECT call_id INTO the_call FROM grants_project WHERE id = NEW.project_id;
    SELECT budget INTO call_budget FROM grants_call WHERE id = the_call FOR UPDATE;
    SELECT granted_amount INTO granted FROM grants_project WHERE id = NEW.project_id FOR UPDATE;
    released := grants_project_released(NEW.project_id);
    paid := grants_project_paid(NEW.project_id);
    IF released + NEW.amount < 0 THEN
        RAISE EXCEPTION 'grants: project % would have % EUR released, less than nothing',
            NEW.project_id, released + NEW.amount USING ERRCODE = 'check_violation';
    END IF;
    IF paid + released + NEW.amount > granted THEN
        RAISE EXCEPTION 'grants: project % would release % EUR of a % EUR grant of which % EUR is paid',
            NEW.project_id, released + NEW.amount, granted, paid USING ERRCODE = 'check_violation';
    END IF;
    IF NEW.amount < 0 THEN
        committed := grants_call_committed(the_call) - NEW.amount;
        IF committed > call_budget THEN
            RAISE EXCEPTION 'grants: call % would commit % EUR of a % EUR budget',
                the_call, committed, call_budget USING ERRCODE = 'check_violation';
        END IF;
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER grants_release_guard BEFORE INSERT ON grants_grantrelease
    FOR EACH ROW EXECUTE FUNCTION grants_release_guard();

CREATE FUNCTION grants_release_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'grants: releases are never edited or deleted; record a correcting entry instead'
        USING ERRCODE = 'check_violation';
END $$;
CREATE TRIGGER grants_release_append_only BEFORE UPDATE OR DELETE ON grants_grantrelease
    FOR EACH ROW EXECUTE FUNCTION grants_release_append_only();
"""

# Back to the functions of 0002 (without releases).
BACKWARD = """
DROP TRIGGER IF EXISTS grants_release_append_only ON grants_grantrelease;
DROP FUNCTION IF EXISTS grants_release_append_only();
DROP TRIGGER IF EXISTS grants_release_guard ON grants_grantrelease;
DROP FUNCTION IF EXISTS grants_release_guard();

CREATE OR REPLACE FUNCTION grants_project_money_guard() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    call_budget numeric;
    committed numeric;
    paid numeric;
BEGIN
    SELECT budget INTO call_budget FROM grants_call WHERE id = NEW.call_id FOR UPDATE;
    SELECT coalesce(sum(granted_amount), 0) INTO committed
        FROM grants_project WHERE call_id = NEW.call_id AND id <> NEW.id;
    IF committed + NEW.granted_amount > call_budget THEN
        RAISE EXCEPTION 'grants: call % would commit % EUR of a % EUR budget',
            NEW.call_id, committed + NEW.granted_amount, call_budget USING ERRCODE = 'check_violation';
    END IF;
    IF TG_OP = 'UPDATE' THEN
        SELECT coalesce(sum(amount), 0) INTO paid FROM grants_disbursement WHERE project_id = NEW.id;
        IF paid > NEW.granted_amount THEN
            RAISE EXCEPTION 'grants: project % was paid % EUR, more than the % EUR granted',
                NEW.id, paid, NEW.granted_amount USING ERRCODE = 'check_violation';
        END IF;
    END IF;
    RETURN NEW;
END $$;

CREATE OR REPLACE FUNCTION grants_call_budget_guard() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    committed numeric;
BEGIN
    SELECT coalesce(sum(granted_amount), 0) INTO committed FROM grants_project WHERE call_id = NEW.id;
    IF committed > NEW.budget THEN
        RAISE EXCEPTION 'grants: call % has % EUR committed, more than a budget of % EUR',
            NEW.id, committed, NEW.budget USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END $$;

CREATE OR REPLACE FUNCTION grants_disbursement_guard() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    granted numeric;
    paid numeric;
BEGIN
    SELECT granted_amount INTO granted FROM grants_project WHERE id = NEW.project_id FOR UPDATE;
    SELECT coalesce(sum(amount), 0) INTO paid FROM grants_disbursement WHERE project_id = NEW.project_id;
    IF paid + NEW.amount > granted OR paid + NEW.amount < 0 THEN
        RAISE EXCEPTION 'grants: project % would be paid % EUR of % EUR granted',
            NEW.project_id, paid + NEW.amount, granted USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END $$;

DROP FUNCTION IF EXISTS grants_project_paid(bigint);
DROP FUNCTION IF EXISTS grants_project_released(bigint);
DROP FUNCTION IF EXISTS grants_call_committed(bigint);
"""


def grant(apps, schema_editor):
    app_config = apps.get_app_config("grants")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = None
    from grants.permissions import grant_group_permissions

    grant_group_permissions(apps.get_model("auth", "Group"), apps.get_model("auth", "Permission"))


class Migration(migrations.Migration):
    dependencies = [("grants", "0004_grantrelease")]
    operations = [
        migrations.RunSQL(FORWARD, BACKWARD),
        migrations.RunPython(grant, migrations.RunPython.noop),
    ]
