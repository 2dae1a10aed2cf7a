-- Migration 0013: the helpers the queue calls on every claim and submit, in PL/pgSQL, whose
-- plans last the session (a non-inlined SQL function is planned again in each transaction).
-- CREATE OR REPLACE keeps each function's owner, grants and signature.

CREATE OR REPLACE FUNCTION annotator_me() RETURNS int LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path = @schema@, pg_temp
AS $$
BEGIN
    RETURN (SELECT id FROM users WHERE name = session_user::text AND active);
END $$;

CREATE OR REPLACE FUNCTION annotator_led_projects() RETURNS SETOF int LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path = @schema@, pg_temp
AS $$
BEGIN
    RETURN QUERY
    SELECT p.id FROM projects p, users u
    WHERE u.name = session_user::text AND u.active
      AND (u.role = 'admin'
           OR (u.role = 'lead' AND EXISTS (SELECT 1 FROM memberships m WHERE m.user_id = u.id AND m.project_id = p.id)));
END $$;

CREATE OR REPLACE FUNCTION annotator_clock(p_now timestamptz) RETURNS timestamptz LANGUAGE plpgsql STABLE
    SECURITY DEFINER SET search_path = @schema@, pg_temp
AS $$
BEGIN
    IF p_now IS NOT NULL AND (SELECT trust_client_clock FROM server_settings WHERE id = 1) THEN
        RETURN p_now;
    END IF;
    RETURN now();
END $$;

-- The project an audit event is about (0008): what its details name, else what its entity belongs to.
CREATE OR REPLACE FUNCTION annotator_project_of(p_type text, p_id text, p_details jsonb) RETURNS int
    LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = @schema@, pg_temp
AS $$
DECLARE v int;
BEGIN
    IF p_details->>'project_id' ~ '^[0-9]+$' THEN
        RETURN (p_details->>'project_id')::int;
    END IF;
    IF p_id ~ '^[0-9]+$' THEN
        CASE p_type
            WHEN 'project' THEN v := p_id::int;
            WHEN 'assignment' THEN v := (SELECT project_id FROM assignments WHERE id = p_id::int);
            WHEN 'item' THEN v := (SELECT project_id FROM items WHERE id = p_id::int);
            WHEN 'conflict' THEN v := (SELECT project_id FROM conflicts WHERE id = p_id::int);
            WHEN 'membership' THEN v := (SELECT project_id FROM memberships WHERE id = p_id::int);
            ELSE NULL;
        END CASE;
    END IF;
    IF v IS NULL AND p_type = 'bundle' THEN
        v := (SELECT project_id FROM offline_bundles WHERE id = p_id);
    END IF;
    RETURN v;
END $$;

CREATE OR REPLACE FUNCTION queue_audit(p_me users, p_action text, p_type text, p_id text, p_details jsonb,
                                       p_now timestamptz)
    RETURNS void LANGUAGE plpgsql
AS $$
BEGIN
    INSERT INTO audit_events (at, actor_id, actor, action, entity_type, entity_id, details)
    VALUES (p_now, p_me.id, p_me.name, p_action, p_type, p_id, p_details);
END $$;

CREATE OR REPLACE FUNCTION queue_claimed_row(p projects, a assignments) RETURNS queue_claimed LANGUAGE plpgsql STABLE
AS $$
DECLARE r queue_claimed;
BEGIN
    SELECT a.id, a.uid::text, p.id, p.name::text, p.kind::text, p.config::jsonb, p.instructions, p.media_root,
           i.external_id::text, i.payload::jsonb, i.prediction::jsonb, CASE WHEN i.confidence < 0 THEN NULL ELSE i.confidence END,
           a.draft::jsonb, a.active_seconds, a.claimed_at, a.lease_until, p.pixel_limit,
           NULL::int, NULL::int, NULL::float8, NULL::int
    INTO r FROM items i WHERE i.id = a.item_id;
    RETURN r;
END $$;
