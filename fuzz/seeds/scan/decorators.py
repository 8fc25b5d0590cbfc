@dec
def upgrade():
    """not module doc"""
    revision = "x"
revision = "a"
down_revision = None
