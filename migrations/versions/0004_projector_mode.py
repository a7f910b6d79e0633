"""projector mode and join address of events

Revision ID: 0004_projector
Revises: 0003
Create Date: 2026-11-30 10:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0004_projector'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('events', schema=None) as batch_op:
        batch_op.add_column(sa.Column('projector_mode', sa.Enum('auto', 'board', 'news', name='projector_mode', native_enum=False, length=16), nullable=False, server_default='auto'))
        batch_op.add_column(sa.Column('join_address', sa.String(length=45), nullable=False, server_default=''))


def downgrade():
    with op.batch_alter_table('events', schema=None) as batch_op:
        batch_op.drop_column('join_address')
        batch_op.drop_column('projector_mode')
