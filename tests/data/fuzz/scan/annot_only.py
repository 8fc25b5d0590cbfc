revision = "a"
revision: str
down_revision = None
