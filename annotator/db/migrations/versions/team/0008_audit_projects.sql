-- The project an audit event is about, from what the event names: the project itself, or the
-- assignment, item, conflict, membership or offline bundle, or the project_id its details carry.
-- Events about users name no project: only admins read them.
CREATE FUNCTION annotator_project_of(p_type text, p_id text, p_details jsonb) RETURNS int
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = @schema@, pg_temp
AS $$
    SELECT coalesce(
        CASE WHEN p_details->>'project_id' ~ '^[0-9]+$' THEN (p_details->>'project_id')::int END,
        CASE WHEN p_id ~ '^[0-9]+$' THEN
            CASE p_type
                WHEN 'project' THEN p_id::int
                WHEN 'assignment' THEN (SELECT project_id FROM assignments WHERE id = p_id::int)
                WHEN 'item' THEN (SELECT project_id FROM items WHERE id = p_id::int)
                WHEN 'conflict' THEN (SELECT project_id FROM conflicts WHERE id = p_id::int)
                WHEN 'membership' THEN (SELECT project_id FROM memberships WHERE id = p_id::int)
            END
        END,
        CASE WHEN p_type = 'bundle' THEN (SELECT project_id FROM offline_bundles WHERE id = p_id) END)
$$;

CREATE FUNCTION audit_events_project() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = @schema@, pg_temp
AS $$
BEGIN
    NEW.project_id := annotator_project_of(NEW.entity_type, NEW.entity_id, NEW.details);
    RETURN NEW;
END $$;
-- Every insert, whoever writes it: a client's own project_id is not taken on trust.
CREATE TRIGGER audit_events_project BEFORE INSERT ON audit_events FOR EACH ROW
    EXECUTE FUNCTION audit_events_project();
ALTER FUNCTION annotator_project_of(text, text, jsonb) OWNER TO annotator_definer;
ALTER FUNCTION audit_events_project() OWNER TO annotator_definer;
REVOKE ALL ON FUNCTION annotator_project_of(text, text, jsonb) FROM PUBLIC;

-- The events already there. The append-only guard is off for this one statement, in this
-- migration's transaction.
ALTER TABLE audit_events DISABLE TRIGGER audit_events_append_only;
UPDATE audit_events SET project_id = annotator_project_of(entity_type, entity_id, details);
ALTER TABLE audit_events ENABLE TRIGGER audit_events_append_only;

-- Leads read the trail of the projects they lead; admins all of it.
DROP POLICY readers ON audit_events;
CREATE POLICY leads_read ON audit_events FOR SELECT TO annotator_leads
    USING (project_id IN (SELECT annotator_led_projects()));
CREATE POLICY admins_read ON audit_events FOR SELECT TO annotator_admins USING (true);
-- And write events only about those, or about no project (which only admins read).
DROP POLICY writers ON audit_events;
CREATE POLICY leads_write ON audit_events FOR INSERT TO annotator_leads
    WITH CHECK (project_id IS NULL OR project_id IN (SELECT annotator_led_projects()));
CREATE POLICY writers ON audit_events FOR INSERT TO annotator_admins, annotator_definer WITH CHECK (true);
