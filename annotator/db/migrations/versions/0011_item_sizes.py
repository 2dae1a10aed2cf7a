"""items.width and items.height: the upright image's size, read at import, so that an export
(COCO, YOLO, VOC, Label Studio) needs no image to write it, and a store-backed export fetches no
object for it. Empty for items imported before, whose exports read the image's header.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-03 17:30:00
"""
import sqlalchemy as sa
from alembic import op

from annotator.db.migrations.team_sql import run

revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('items', schema=None) as batch_op:
        batch_op.add_column(sa.Column('width', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('height', sa.Integer(), nullable=True))
    if op.get_bind().dialect.name == "postgresql":
        # Annotators read items column by column (migration 0007); a size tells them nothing of gold.
        run("GRANT SELECT (width, height) ON items TO annotator_annotators;")


def downgrade() -> None:
    with op.batch_alter_table('items', schema=None) as batch_op:
        batch_op.drop_column('height')
        batch_op.drop_column('width')
