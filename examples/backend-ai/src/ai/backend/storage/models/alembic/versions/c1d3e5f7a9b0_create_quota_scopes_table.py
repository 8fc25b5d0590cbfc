"""create quota scopes table

Revision ID: c1d3e5f7a9b0
Revises: 
Create Date: 2026-11-20 10:15:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c1d3e5f7a9b0'
down_revision = None
branch_labels = ('quota',)
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
