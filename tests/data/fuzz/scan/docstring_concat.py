"""a""" "b" 'c'
revision = "a"
down_revision = None
