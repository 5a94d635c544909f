"""Database triggers that keep the money invariants whatever writes the rows (the backstop of services.py).

- a call's projects never hold more than its budget (checked on project insert/update and budget change);
- a project's disbursements always sum to between 0 and its granted amount;
- disbursements are append-only: a correction is a new entry, never an UPDATE or a DELETE.
The triggers lock the parent row (call or project) first, so concurrent writers queue on it and each
sees the others' committed rows; they raise SQLSTATE 23514 (check_violation), an IntegrityError in Django.
"""

from django.db import migrations

FORWARD = """
CREATE FUNCTION grants_project_money_guard() RETURNS trigger LANGUAGE plpgsql AS $$
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
CREATE TRIGGER grants_project_money_guard BEFORE INSERT OR UPDATE OF granted_amount, call_id ON grants_project
    FOR EACH ROW EXECUTE FUNCTION grants_project_money_guard();

CREATE FUNCTION grants_call_budget_guard() RETURNS trigger LANGUAGE plpgsql AS $$
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
CREATE TRIGGER grants_call_budget_guard BEFORE UPDATE OF budget ON grants_call
    FOR EACH ROW EXECUTE FUNCTION grants_call_budget_guard();

CREATE FUNCTION grants_disbursement_guard() RETURNS trigger LANGUAGE plpgsql AS $$
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
CREATE TRIGGER grants_disbursement_guard BEFORE INSERT ON grants_disbursement
    FOR EACH ROW EXECUTE FUNCTION grants_disbursement_guard();

CREATE FUNCTION grants_disbursement_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'grants: disbursements are never edited or deleted; record a correcting entry instead'
        USING ERRCODE = 'check_violation';
END $$;
CREATE TRIGGER grants_disbursement_append_only BEFORE UPDATE OR DELETE ON grants_disbursement
    FOR EACH ROW EXECUTE FUNCTION grants_disbursement_append_only();
"""

BACKWARD = """
DROP TRIGGER IF EXISTS grants_disbursement_append_only ON grants_disbursement;
DROP FUNCTION IF EXISTS grants_disbursement_append_only();
DROP TRIGGER IF EXISTS grants_disbursement_guard ON grants_disbursement;
DROP FUNCTION IF EXISTS grants_disbursement_guard();
DROP TRIGGER IF EXISTS grants_call_budget_guard ON grants_call;
DROP FUNCTION IF EXISTS grants_call_budget_guard();
DROP TRIGGER IF EXISTS grants_project_money_guard ON grants_project;
DROP FUNCTION IF EXISTS grants_project_money_guard();
"""


class Migration(migrations.Migration):
    dependencies = [("grants", "0001_initial")]
    operations = [migrations.RunSQL(FORWARD, BACKWARD)]
