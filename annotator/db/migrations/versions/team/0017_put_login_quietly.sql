-- annotator_put_login as in 0007_users.sql, except that it grants and revokes only the group
-- memberships that change. 0007's revoked all three groups but the user's own on every call, and
-- the server logged a warning for each group the login was never in: two on every `user add`
-- and every password or role change.
CREATE OR REPLACE FUNCTION annotator_put_login(p_name text, p_verifier text, p_role text, p_valid_until timestamptz,
                                    p_active boolean)
    RETURNS void LANGUAGE plpgsql SECURITY DEFINER SET search_path = @schema@, pg_temp
AS $$
DECLARE g text; is_member boolean;
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
    -- Only the memberships that change: a GRANT of a membership the login has, or a REVOKE of
    -- one it has not, makes the server log a notice or a warning for nothing.
    FOREACH g IN ARRAY ARRAY['annotator_annotators', 'annotator_leads', 'annotator_admins'] LOOP
        is_member := EXISTS (SELECT 1 FROM pg_auth_members am JOIN pg_roles r ON r.oid = am.member
                             JOIN pg_roles grp ON grp.oid = am.roleid
                             WHERE r.rolname = p_name AND grp.rolname = g);
        IF g = 'annotator_' || p_role || 's' THEN
            IF NOT is_member THEN
                EXECUTE format('GRANT %I TO %I', g, p_name);
            END IF;
        ELSIF is_member THEN
            EXECUTE format('REVOKE %I FROM %I', g, p_name);
        END IF;
    END LOOP;
END $$;
