-- Migration 0007, part 5: people. An Annotator user on PostgreSQL is a login role of the same
-- name, in one of the three groups; the server keeps its password (as SCRAM), Annotator none.
-- Passwords reach these functions as SCRAM verifiers made by the client, never as text.
-- AN009: the name is taken; AN010: not allowed.

CREATE FUNCTION annotator_require_admin(p_what text) RETURNS void LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path = @schema@, pg_temp
AS $$
BEGIN
    -- The database's owner sets the first admin up; after that, admins.
    IF (SELECT rolsuper FROM pg_roles WHERE rolname = session_user)
       OR pg_has_role(session_user, (SELECT tableowner FROM pg_tables WHERE tablename = 'users'
                                     AND schemaname = current_schema()), 'USAGE')
       OR EXISTS (SELECT 1 FROM users WHERE name = session_user AND active AND role = 'admin') THEN
        RETURN;
    END IF;
    RAISE EXCEPTION USING ERRCODE = 'AN010', MESSAGE = format('Only an admin may %s.', p_what);
END $$;

-- Makes or adopts the login for p_name, puts it in its role's group only, and sets its password;
-- a deactivated user's login cannot connect (NOLOGIN).
-- A role that exists already is adopted only if it is an Annotator login (of another database
-- on this cluster): never a superuser, an owner or anyone else's role.
CREATE FUNCTION annotator_put_login(p_name text, p_verifier text, p_role text, p_valid_until timestamptz,
                                    p_active boolean)
    RETURNS void LANGUAGE plpgsql SECURITY DEFINER SET search_path = @schema@, pg_temp
AS $$
DECLARE g text;
BEGIN
    IF p_verifier IS NOT NULL AND p_verifier NOT LIKE 'SCRAM-SHA-256$%' THEN
        RAISE EXCEPTION USING ERRCODE = 'AN010', MESSAGE = 'A password must reach the server as a SCRAM verifier.';
    END IF;
    IF p_role NOT IN ('annotator', 'lead', 'admin') THEN
        RAISE EXCEPTION USING ERRCODE = 'AN010', MESSAGE = format('Unknown role %L.', p_role);
    END IF;
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = p_name) THEN
        IF NOT EXISTS (SELECT 1 FROM pg_auth_members am JOIN pg_roles r ON r.oid = am.member
                       JOIN pg_roles grp ON grp.oid = am.roleid
                       WHERE r.rolname = p_name AND NOT r.rolsuper
                         AND grp.rolname IN ('annotator_annotators', 'annotator_leads', 'annotator_admins')) THEN
            RAISE EXCEPTION USING ERRCODE = 'AN009', MESSAGE = format(
                'A PostgreSQL role named %s exists already and is not an Annotator login; choose another name, '
                'or ask the server''s administrator.', p_name);
        END IF;
        EXECUTE format('ALTER ROLE %I %s', p_name, CASE WHEN p_active THEN 'LOGIN' ELSE 'NOLOGIN' END);
    ELSE
        EXECUTE format('CREATE ROLE %I %s', p_name, CASE WHEN p_active THEN 'LOGIN' ELSE 'NOLOGIN' END);
    END IF;
    IF p_verifier IS NOT NULL THEN
        EXECUTE format('ALTER ROLE %I PASSWORD %L VALID UNTIL %L', p_name, p_verifier,
                       coalesce(p_valid_until::text, 'infinity'));
    END IF;
    FOREACH g IN ARRAY ARRAY['annotator_annotators', 'annotator_leads', 'annotator_admins'] LOOP
        IF g = 'annotator_' || p_role || 's' THEN
            EXECUTE format('GRANT %I TO %I', g, p_name);
        ELSE
            EXECUTE format('REVOKE %I FROM %I', g, p_name);
        END IF;
    END LOOP;
END $$;

-- The user of that name, or the error that there is none.
CREATE FUNCTION annotator_user_named(p_name text) RETURNS users LANGUAGE plpgsql STABLE
AS $$
DECLARE u users%ROWTYPE;
BEGIN
    SELECT * INTO u FROM users WHERE name = p_name;
    IF NOT FOUND THEN
        RAISE EXCEPTION USING ERRCODE = 'AN008', MESSAGE = format('There is no user named %L.', p_name);
    END IF;
    RETURN u;
END $$;

CREATE FUNCTION user_add(p_name text, p_verifier text, p_role text) RETURNS int LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = @schema@, pg_temp
AS $$
DECLARE v_id int;
BEGIN
    PERFORM annotator_require_admin('add users');
    IF EXISTS (SELECT 1 FROM users WHERE name = p_name) THEN
        RAISE EXCEPTION USING ERRCODE = 'AN009', MESSAGE = format('A user named %L already exists.', p_name);
    END IF;
    PERFORM annotator_put_login(p_name, p_verifier, p_role, NULL, true);
    INSERT INTO users (name, password_hash, role, active, created_at) VALUES (p_name, '', p_role, true, now())
    RETURNING id INTO v_id;
    INSERT INTO audit_events (at, actor_id, actor, action, entity_type, entity_id, details)
    VALUES (now(), annotator_me(), session_user, 'user.add', 'user', v_id::text,
            jsonb_build_object('name', p_name, 'role', p_role));
    RETURN v_id;
END $$;

-- A login for a user made before logins were per person (`annotator user migrate-logins`).
CREATE FUNCTION user_make_login(p_name text, p_verifier text, p_valid_until timestamptz) RETURNS void
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = @schema@, pg_temp
AS $$
DECLARE u users%ROWTYPE;
BEGIN
    PERFORM annotator_require_admin('make logins');
    u := annotator_user_named(p_name);
    PERFORM annotator_put_login(p_name, p_verifier, u.role, p_valid_until, u.active);
    UPDATE users SET password_hash = '' WHERE id = u.id;
    INSERT INTO audit_events (at, actor_id, actor, action, entity_type, entity_id, details)
    VALUES (now(), annotator_me(), session_user, 'user.make_login', 'user', u.id::text,
            jsonb_build_object('name', p_name, 'valid_until', p_valid_until));
END $$;

-- Anyone may change their own password; an admin anyone's.
CREATE FUNCTION user_set_password(p_name text, p_verifier text) RETURNS void LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = @schema@, pg_temp
AS $$
DECLARE u users%ROWTYPE;
BEGIN
    u := annotator_user_named(p_name);
    IF p_name <> session_user THEN
        PERFORM annotator_require_admin('reset other users'' passwords');
    END IF;
    PERFORM annotator_put_login(p_name, p_verifier, u.role, NULL, u.active);
    INSERT INTO audit_events (at, actor_id, actor, action, entity_type, entity_id, details)
    VALUES (now(), annotator_me(), session_user, 'user.set_password', 'user', u.id::text,
            jsonb_build_object('name', p_name));
END $$;

CREATE FUNCTION user_set_role(p_name text, p_role text) RETURNS void LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = @schema@, pg_temp
AS $$
DECLARE u users%ROWTYPE;
BEGIN
    PERFORM annotator_require_admin('change roles');
    u := annotator_user_named(p_name);
    PERFORM annotator_put_login(p_name, NULL, p_role, NULL, u.active);
    UPDATE users SET role = p_role WHERE id = u.id;
    INSERT INTO audit_events (at, actor_id, actor, action, entity_type, entity_id, details)
    VALUES (now(), annotator_me(), session_user, 'user.set_role', 'user', u.id::text,
            jsonb_build_object('name', p_name, 'old', u.role, 'new', p_role));
END $$;

-- A deactivated user's login can no longer connect; their work and history stay.
CREATE FUNCTION user_set_active(p_name text, p_active boolean) RETURNS void LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = @schema@, pg_temp
AS $$
DECLARE u users%ROWTYPE;
BEGIN
    PERFORM annotator_require_admin(CASE WHEN p_active THEN 'reactivate users' ELSE 'deactivate users' END);
    u := annotator_user_named(p_name);
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = p_name) THEN
        EXECUTE format('ALTER ROLE %I %s', p_name, CASE WHEN p_active THEN 'LOGIN' ELSE 'NOLOGIN' END);
    END IF;
    UPDATE users SET active = p_active WHERE id = u.id;
    INSERT INTO audit_events (at, actor_id, actor, action, entity_type, entity_id, details)
    VALUES (now(), annotator_me(), session_user, CASE WHEN p_active THEN 'user.activate' ELSE 'user.deactivate' END,
            'user', u.id::text, jsonb_build_object('name', p_name));
END $$;

-- Who the caller is, for the log-in: (id, name, role, active), or nothing.
CREATE FUNCTION annotator_whoami() RETURNS TABLE (id int, name text, role text, active boolean) LANGUAGE sql STABLE
    SECURITY DEFINER SET search_path = @schema@, pg_temp
AS $$ SELECT id, name::text, role::text, active FROM users WHERE name = session_user $$;

-- Ownership and who may call what. Functions are callable by PUBLIC unless revoked; the helpers
-- (which take rows as arguments, or act for anyone) are the definer's alone.
DO $$
DECLARE f regprocedure; n text;
BEGIN
    FOR f, n IN SELECT p.oid::regprocedure, p.proname::text FROM pg_proc p WHERE p.pronamespace = current_schema()::regnamespace
             AND (p.proname LIKE 'queue\_%' OR p.proname LIKE 'user\_%' OR p.proname LIKE 'annotator\_%') LOOP
        EXECUTE format('ALTER FUNCTION %s OWNER TO annotator_definer', f);
        EXECUTE format('REVOKE ALL ON FUNCTION %s FROM PUBLIC', f);
        IF n IN (
            'queue_claim', 'queue_submit', 'queue_submit_and_claim', 'queue_save_draft', 'queue_give_back', 'queue_release_held', 'queue_extend',
            'queue_open_items', 'queue_checkout', 'queue_checkin_answer', 'queue_checkin_draft', 'queue_checkin_done',
            'user_add', 'user_make_login', 'user_set_password', 'user_set_role', 'user_set_active',
            'annotator_whoami', 'annotator_me', 'annotator_led_projects', 'annotator_clock') THEN
            EXECUTE format('GRANT EXECUTE ON FUNCTION %s TO annotator_annotators, annotator_leads, annotator_admins', f);
        END IF;
    END LOOP;
END $$;
-- The triggers' functions run as the definer too, so they can read pg_roles and users for anyone.
ALTER FUNCTION audit_events_actor() OWNER TO annotator_definer;
ALTER FUNCTION projects_creator_joins() OWNER TO annotator_definer;
