# vim: set fileencoding=cp1252 :
"""€ euro"""
revision = "a"
down_revision = None
