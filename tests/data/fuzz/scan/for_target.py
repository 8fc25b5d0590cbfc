for depends_on in []:
    pass
revision = "a"
down_revision = None
