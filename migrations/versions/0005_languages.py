"""languages: the event's language, the language a user chose

Revision ID: 0005_languages
Revises: 0004_projector
Create Date: 2026-11-24 09:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0005_languages'
down_revision = '0004_projector'
branch_labels = None
depends_on = None


def upgrade():
    # Events made before languages existed speak English, as they always did.
    with op.batch_alter_table('events', schema=None) as batch_op:
        batch_op.add_column(sa.Column('language', sa.String(length=16), server_default='en',
                                      nullable=False))
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('locale', sa.String(length=16), nullable=True))


def downgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('locale')
    with op.batch_alter_table('events', schema=None) as batch_op:
        batch_op.drop_column('language')
