"""add account status

Revision ID: 3b2c8e1f4a90
Revises: 1449797cc931
Create Date: 2026-11-20 10:08:00.000000

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = '3b2c8e1f4a90'
down_revision: Union[str, Sequence[str], None] = '1449797cc931'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
