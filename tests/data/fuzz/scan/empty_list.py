revision = "a"
down_revision = []
depends_on = ()
