"""dep

Revision ID: b03491fffa70
Revises: d74ce52f5f44
Create Date: 2026-11-24 14:41:40.946446

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = 'b03491fffa70'
down_revision: Union[str, Sequence[str], None] = 'd74ce52f5f44'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = 'lbl'


def upgrade() -> None:
    """Upgrade schema."""
    pass


def downgrade() -> None:
    """Downgrade schema."""
    pass
