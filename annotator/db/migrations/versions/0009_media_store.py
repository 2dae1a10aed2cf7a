"""projects.media_store: where a project's media objects live, keyed by their sha256 (issue 18,
docs/adr/0012): s3://bucket/prefix or file:///folder. Empty for a project whose items name their
files by path, as before. On PostgreSQL only an admin may change it once the project exists.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01 23:45:00
"""
import sqlalchemy as sa
from alembic import op

from annotator.db.migrations.team_sql import run

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('projects', sa.Column('media_store', sa.Text(), nullable=True))
    if op.get_bind().dialect.name == "postgresql":
        run("""
        CREATE FUNCTION projects_media_store_by_admins() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER
            SET search_path = @schema@, pg_temp
        AS $$
        BEGIN
            IF (SELECT rolsuper FROM pg_roles WHERE rolname = session_user)
               OR EXISTS (SELECT 1 FROM users WHERE name = session_user::text AND role = 'admin' AND active) THEN
                RETURN NEW;
            END IF;
            RAISE EXCEPTION USING ERRCODE = '42501',
                MESSAGE = 'Only an admin can change a project''s media store (annotator media migrate).';
        END $$;
        ALTER FUNCTION projects_media_store_by_admins() OWNER TO annotator_definer;
        CREATE TRIGGER projects_media_store_by_admins BEFORE UPDATE ON projects FOR EACH ROW
            WHEN (OLD.media_store IS DISTINCT FROM NEW.media_store) EXECUTE FUNCTION projects_media_store_by_admins();
        """)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        run("""
        DROP TRIGGER IF EXISTS projects_media_store_by_admins ON projects;
        DROP FUNCTION IF EXISTS projects_media_store_by_admins();
        """)
    with op.batch_alter_table('projects', schema=None) as batch_op:
        batch_op.drop_column('media_store')
