-- Migration 0007, part 1: who may read and change what, enforced by the server (ADR 9).
-- @schema@ is the schema the tables live in, quoted.

-- The roles are the cluster's, shared by every Annotator database on it; made once.
DO $$
DECLARE r text;
BEGIN
    FOREACH r IN ARRAY ARRAY['annotator_annotators', 'annotator_leads', 'annotator_admins'] LOOP
        IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = r) THEN
            EXECUTE format('CREATE ROLE %I NOLOGIN', r);
        END IF;
    END LOOP;
    -- Owns the functions below; cannot log in. CREATEROLE so that the user functions can make
    -- and change people's logins, which is all an admin's login needs of role management.
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'annotator_definer') THEN
        CREATE ROLE annotator_definer NOLOGIN CREATEROLE;
    END IF;
END $$;
-- ADMIN OPTION lets the definer put people into a group (PostgreSQL 16 asks for it).
GRANT annotator_annotators, annotator_leads, annotator_admins TO annotator_definer WITH ADMIN OPTION;

-- Client clocks are never trusted, unless the database's owner says so (tests replay time).
CREATE TABLE server_settings (
    id int PRIMARY KEY CHECK (id = 1),
    trust_client_clock boolean NOT NULL DEFAULT false
);
INSERT INTO server_settings VALUES (1, false);
-- The database's identity (offline bundles name it) is made here, not on first use: an
-- annotator's login cannot write it.
INSERT INTO database_info (id, database_id, created_at)
SELECT 1, gen_random_uuid()::text, now() WHERE NOT EXISTS (SELECT 1 FROM database_info);

GRANT USAGE ON SCHEMA @schema@ TO annotator_annotators, annotator_leads, annotator_admins, annotator_definer;
GRANT ALL ON ALL TABLES IN SCHEMA @schema@ TO annotator_definer;
GRANT ALL ON ALL SEQUENCES IN SCHEMA @schema@ TO annotator_definer;
REVOKE UPDATE, DELETE, TRUNCATE ON audit_events FROM annotator_definer;
GRANT SELECT ON alembic_version, database_info, server_settings
    TO annotator_annotators, annotator_leads, annotator_admins;

-- The caller, from session_user: never an argument.
CREATE FUNCTION annotator_me() RETURNS int LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path = @schema@, pg_temp
AS $$ SELECT id FROM users WHERE name = session_user::text AND active $$;

-- The projects the caller leads: all of them for an admin; a lead's are those they are a member of.
CREATE FUNCTION annotator_led_projects() RETURNS SETOF int LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path = @schema@, pg_temp
AS $$
    SELECT p.id FROM projects p, users u
    WHERE u.name = session_user::text AND u.active
      AND (u.role = 'admin'
           OR (u.role = 'lead' AND EXISTS (SELECT 1 FROM memberships m WHERE m.user_id = u.id AND m.project_id = p.id)))
$$;

CREATE FUNCTION annotator_clock(p_now timestamptz) RETURNS timestamptz LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path = @schema@, pg_temp
AS $$
    SELECT CASE WHEN p_now IS NOT NULL AND (SELECT trust_client_clock FROM server_settings WHERE id = 1)
                THEN p_now ELSE now() END
$$;

-- Audit events name whoever's connection wrote them: a client cannot put words in another's mouth.
CREATE FUNCTION audit_events_actor() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = @schema@, pg_temp
AS $$
DECLARE me users%ROWTYPE;
BEGIN
    IF (SELECT rolsuper FROM pg_roles WHERE rolname = session_user) THEN
        RETURN NEW;  -- the owner's maintenance: `annotator db upgrade`, the command line as operator
    END IF;
    SELECT * INTO me FROM users WHERE name = session_user;
    IF NEW.actor IS DISTINCT FROM session_user::text THEN
        NEW.details := coalesce(NEW.details, '{}'::jsonb) || jsonb_build_object('on_behalf_of', NEW.actor);
    END IF;
    NEW.actor := session_user;
    NEW.actor_id := me.id;
    RETURN NEW;
END $$;
-- Not for the functions' own events (current_user is then their owner): they name the caller already.
CREATE TRIGGER audit_events_actor BEFORE INSERT ON audit_events FOR EACH ROW
    WHEN (current_user <> 'annotator_definer') EXECUTE FUNCTION audit_events_actor();

-- A lead who creates a project is its member, and so leads it.
CREATE FUNCTION projects_creator_joins() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = @schema@, pg_temp
AS $$
BEGIN
    INSERT INTO memberships (user_id, project_id, state, reason, since, gold_countdown)
    SELECT u.id, NEW.id, 'active', '', now(), 0 FROM users u WHERE u.name = session_user AND u.role = 'lead';
    RETURN NEW;
END $$;
CREATE TRIGGER projects_creator_joins AFTER INSERT ON projects FOR EACH ROW EXECUTE FUNCTION projects_creator_joins();

-- Reads. The columns that tell gold apart, and the gold countdown, are not granted to annotators.
GRANT SELECT (id, name) ON users TO annotator_annotators;
GRANT SELECT (id, name, role, active, created_at) ON users TO annotator_leads;
GRANT SELECT (id, name, role, active, created_at) ON users TO annotator_admins;

GRANT SELECT ON projects TO annotator_annotators, annotator_leads, annotator_admins;
GRANT SELECT (id, project_id, external_id, payload, media_sha256, priority, prediction, confidence, open_slots,
              done_by_model, version, created_at)
    ON items TO annotator_annotators;  -- not is_gold, nor spot_check (which would say the model is being measured)
GRANT SELECT (id, uid, item_id, user_id, project_id, status, claimed_at, lease_until, submitted_at, reviewed_at,
              active_seconds, draft, answer, needs_review, skipped, offline, bundle_id)
    ON assignments TO annotator_annotators;
GRANT SELECT (id, user_id, project_id, state, reason, since, gold_accuracy, approval_rate)
    ON memberships TO annotator_annotators;
GRANT SELECT ON reviews, offline_bundles TO annotator_annotators;
GRANT SELECT (id, assignment_uid, item_id, user_id, project_id, answer, active_seconds, reason, created_at,
              resolved_at, resolution)
    ON conflicts TO annotator_annotators;

-- Leads: their projects' work, gold, reviews, conflicts and the trail; they change work by reviewing it.
GRANT SELECT, INSERT, UPDATE ON items, gold_answers, assignments, memberships, reviews, conflicts, consensus,
    offline_bundles TO annotator_leads;
GRANT DELETE ON consensus, gold_answers TO annotator_leads;
GRANT INSERT, UPDATE ON projects TO annotator_leads;  -- they lead what they create (the trigger below)
GRANT SELECT, INSERT ON audit_events TO annotator_leads, annotator_admins;
GRANT USAGE ON ALL SEQUENCES IN SCHEMA @schema@ TO annotator_leads, annotator_admins;
-- Admins: projects and everything in them; people only through the user functions.
GRANT SELECT, INSERT, UPDATE, DELETE ON projects, items, gold_answers, assignments, memberships, reviews, conflicts,
    consensus, offline_bundles TO annotator_admins;
GRANT INSERT ON database_info TO annotator_leads, annotator_admins;

-- Rows. A table's owner is not subject to these; every other role is. The caller is asked once per
-- query, as a scalar subquery, not once per row: (SELECT annotator_me()).
ALTER TABLE projects ENABLE ROW LEVEL SECURITY;
CREATE POLICY members_read ON projects FOR SELECT
    USING (id IN (SELECT project_id FROM memberships WHERE user_id = (SELECT annotator_me()))
           OR id IN (SELECT annotator_led_projects()));
CREATE POLICY leads_change ON projects FOR UPDATE TO annotator_leads, annotator_admins
    USING (id IN (SELECT annotator_led_projects()));
CREATE POLICY leads_create ON projects FOR INSERT TO annotator_leads WITH CHECK (true);
CREATE POLICY admins_manage ON projects FOR ALL TO annotator_admins USING (true) WITH CHECK (true);
CREATE POLICY definer ON projects TO annotator_definer USING (true) WITH CHECK (true);

ALTER TABLE items ENABLE ROW LEVEL SECURITY;
CREATE POLICY own_work ON items FOR SELECT TO annotator_annotators
    USING (id IN (SELECT item_id FROM assignments WHERE user_id = (SELECT annotator_me())));
CREATE POLICY led ON items TO annotator_leads, annotator_admins
    USING (project_id IN (SELECT annotator_led_projects())) WITH CHECK (project_id IN (SELECT annotator_led_projects()));
CREATE POLICY definer ON items TO annotator_definer USING (true) WITH CHECK (true);

ALTER TABLE gold_answers ENABLE ROW LEVEL SECURITY;
CREATE POLICY led ON gold_answers TO annotator_leads, annotator_admins
    USING (item_id IN (SELECT id FROM items)) WITH CHECK (item_id IN (SELECT id FROM items));
CREATE POLICY definer ON gold_answers TO annotator_definer USING (true) WITH CHECK (true);

ALTER TABLE assignments ENABLE ROW LEVEL SECURITY;
CREATE POLICY own_work ON assignments FOR SELECT USING (user_id = (SELECT annotator_me()));
CREATE POLICY led ON assignments TO annotator_leads, annotator_admins
    USING (project_id IN (SELECT annotator_led_projects())) WITH CHECK (project_id IN (SELECT annotator_led_projects()));
CREATE POLICY definer ON assignments TO annotator_definer USING (true) WITH CHECK (true);

ALTER TABLE memberships ENABLE ROW LEVEL SECURITY;
CREATE POLICY own ON memberships FOR SELECT USING (user_id = (SELECT annotator_me()));
CREATE POLICY led ON memberships TO annotator_leads, annotator_admins
    USING (project_id IN (SELECT annotator_led_projects())) WITH CHECK (project_id IN (SELECT annotator_led_projects()));
CREATE POLICY definer ON memberships TO annotator_definer USING (true) WITH CHECK (true);

ALTER TABLE reviews ENABLE ROW LEVEL SECURITY;
CREATE POLICY on_own_work ON reviews FOR SELECT
    USING (assignment_id IN (SELECT id FROM assignments WHERE user_id = (SELECT annotator_me())));
CREATE POLICY led ON reviews TO annotator_leads, annotator_admins
    USING (assignment_id IN (SELECT id FROM assignments)) WITH CHECK (assignment_id IN (SELECT id FROM assignments));
CREATE POLICY definer ON reviews TO annotator_definer USING (true) WITH CHECK (true);

ALTER TABLE conflicts ENABLE ROW LEVEL SECURITY;
CREATE POLICY own ON conflicts FOR SELECT USING (user_id = (SELECT annotator_me()));
CREATE POLICY led ON conflicts TO annotator_leads, annotator_admins
    USING (project_id IN (SELECT annotator_led_projects())) WITH CHECK (project_id IN (SELECT annotator_led_projects()));
CREATE POLICY definer ON conflicts TO annotator_definer USING (true) WITH CHECK (true);

ALTER TABLE consensus ENABLE ROW LEVEL SECURITY;
CREATE POLICY led ON consensus TO annotator_leads, annotator_admins
    USING (item_id IN (SELECT id FROM items)) WITH CHECK (item_id IN (SELECT id FROM items));
CREATE POLICY definer ON consensus TO annotator_definer USING (true) WITH CHECK (true);

ALTER TABLE offline_bundles ENABLE ROW LEVEL SECURITY;
CREATE POLICY own ON offline_bundles FOR SELECT USING (user_id = (SELECT annotator_me()));
CREATE POLICY led ON offline_bundles TO annotator_leads, annotator_admins
    USING (project_id IN (SELECT annotator_led_projects())) WITH CHECK (project_id IN (SELECT annotator_led_projects()));
CREATE POLICY definer ON offline_bundles TO annotator_definer USING (true) WITH CHECK (true);

ALTER TABLE users ENABLE ROW LEVEL SECURITY;
CREATE POLICY everyone_reads_names ON users FOR SELECT USING (true);
CREATE POLICY definer ON users TO annotator_definer USING (true) WITH CHECK (true);

-- The audit trail: leads and admins read it; inserts carry their writer's name (the trigger).
ALTER TABLE audit_events ENABLE ROW LEVEL SECURITY;
CREATE POLICY readers ON audit_events FOR SELECT TO annotator_leads, annotator_admins USING (true);
CREATE POLICY writers ON audit_events FOR INSERT TO annotator_leads, annotator_admins, annotator_definer WITH CHECK (true);
