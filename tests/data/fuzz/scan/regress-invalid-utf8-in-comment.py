"""doc"""
# café comment
revision = 'aaaa00000001'
down_revision = None
