"""roles and opening times

Revision ID: 0002
Revises: 0001

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('questionnaire', schema=None) as batch_op:
        batch_op.add_column(sa.Column('opens_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('closes_at', sa.DateTime(timezone=True), nullable=True))

    with op.batch_alter_table('researcher', schema=None) as batch_op:
        batch_op.add_column(sa.Column('role', sa.String(length=20), server_default='researcher', nullable=False))



def downgrade():
    with op.batch_alter_table('researcher', schema=None) as batch_op:
        batch_op.drop_column('role')

    with op.batch_alter_table('questionnaire', schema=None) as batch_op:
        batch_op.drop_column('closes_at')
        batch_op.drop_column('opens_at')

