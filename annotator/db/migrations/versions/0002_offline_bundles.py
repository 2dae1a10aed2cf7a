"""offline bundles: the database's identity, checkouts, bundled media, and the bundle a claim
was checked out in; indexes for the review queue and the dashboard

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 16:04:04.747096
"""
from alembic import op
import sqlalchemy as sa
import annotator.db.base


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('bundle_media',
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=300), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('data', sa.LargeBinary(), nullable=False),
    sa.PrimaryKeyConstraint('sha256', name=op.f('pk_bundle_media'))
    )
    op.create_table('database_info',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('database_id', sa.String(length=36), nullable=False),
    sa.Column('created_at', annotator.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_database_info'))
    )
    op.create_table('offline_bundles',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('source_database_id', sa.String(length=36), nullable=False),
    sa.Column('source_url', sa.Text(), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('created_at', annotator.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('lease_until', annotator.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('item_count', sa.Integer(), nullable=False),
    sa.Column('manifest_sha256', sa.String(length=64), nullable=False),
    sa.Column('checked_in_at', annotator.db.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('revoked_at', annotator.db.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('revoked_by', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['project_id'], ['projects.id'], name=op.f('fk_offline_bundles_project_id_projects'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['revoked_by'], ['users.id'], name=op.f('fk_offline_bundles_revoked_by_users')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_offline_bundles_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_offline_bundles'))
    )
    with op.batch_alter_table('offline_bundles', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_offline_bundles_project_id'), ['project_id'], unique=False)

    with op.batch_alter_table('items', schema=None) as batch_op:
        batch_op.create_index('ix_items_for_humans', ['project_id'], unique=False,
                              postgresql_where=sa.text('NOT is_gold AND NOT done_by_model'),
                              sqlite_where=sa.text('NOT is_gold AND NOT done_by_model'))

    with op.batch_alter_table('assignments', schema=None) as batch_op:
        batch_op.add_column(sa.Column('bundle_id', sa.String(length=36), nullable=True))
        batch_op.create_index('ix_assignments_bundle_id', ['bundle_id'], unique=False,
                              postgresql_where=sa.text('bundle_id IS NOT NULL'),
                              sqlite_where=sa.text('bundle_id IS NOT NULL'))
        batch_op.create_index('ix_assignments_review', ['status', 'submitted_at', 'id'], unique=False,
                              postgresql_where=sa.text('submitted_at IS NOT NULL'),
                              sqlite_where=sa.text('submitted_at IS NOT NULL'))



def downgrade() -> None:
    with op.batch_alter_table('assignments', schema=None) as batch_op:
        batch_op.drop_index('ix_assignments_review')
        batch_op.drop_index('ix_assignments_bundle_id')
        batch_op.drop_column('bundle_id')

    with op.batch_alter_table('items', schema=None) as batch_op:
        batch_op.drop_index('ix_items_for_humans')

    with op.batch_alter_table('offline_bundles', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_offline_bundles_project_id'))

    op.drop_table('offline_bundles')
    op.drop_table('database_info')
    op.drop_table('bundle_media')
