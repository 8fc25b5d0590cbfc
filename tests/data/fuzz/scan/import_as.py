import x as revision
down_revision = None
